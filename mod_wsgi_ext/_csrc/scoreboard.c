/* scoreboard.c -- Apache's scoreboard as Python data, for mod_wsgi.server_metrics() under
 * WSGIServerMetrics On (compat/metrics.py shapes nothing further).  A leaf: Apache and the
 * CPython C API only; called with the GIL held. */
#include "scoreboard.h"

static char sb_status(int status)
{
    switch (status) {
    case SERVER_DEAD: return '.';
    case SERVER_STARTING: return 'S';
    case SERVER_READY: return '_';
    case SERVER_BUSY_READ: return 'R';
    case SERVER_BUSY_WRITE: return 'W';
    case SERVER_BUSY_KEEPALIVE: return 'K';
    case SERVER_BUSY_LOG: return 'L';
    case SERVER_BUSY_DNS: return 'D';
    case SERVER_CLOSING: return 'C';
    case SERVER_GRACEFUL: return 'G';
    case SERVER_IDLE_KILL: return 'I';
    default: return '?';
    }
}

static double sb_seconds(apr_time_t t)
{
    return apr_time_sec((double)t);
}

/* a scoreboard string field (NUL-terminated within its array), as latin-1 str */
static PyObject *sb_text(const char *s, size_t size)
{
    return PyUnicode_DecodeLatin1(s, strnlen(s, size), NULL);
}

static PyObject *sb_worker(int child, int thread)
{
    worker_score ws;
    char status[2];
    ap_copy_scoreboard_worker(&ws, child, thread);
    status[0] = sb_status(ws.status);
    status[1] = '\0';
    return Py_BuildValue("{s:i,s:i,s:s,s:k,s:L,s:d,s:d,s:d,s:N,s:N,s:N}",
                         "thread_num", thread, "generation", (int)ws.generation,
                         "status", status, "access_count", ws.access_count,
                         "bytes_served", (long long)ws.bytes_served,
                         "start_time", sb_seconds(ws.start_time),
                         "stop_time", sb_seconds(ws.stop_time),
                         "last_used", sb_seconds(ws.last_used),
                         "client", sb_text(ws.client64, sizeof(ws.client64)),
                         "request", sb_text(ws.request, sizeof(ws.request)),
                         "vhost", sb_text(ws.vhost, sizeof(ws.vhost)));
}

PyObject *wx_scoreboard(void)
{
    global_score *g;
    PyObject *procs, *workers, *item;
    int i, j, server_limit = 0, thread_limit = 0;
    apr_time_t now = apr_time_now();
    if (!ap_exists_scoreboard_image() || !(g = ap_get_scoreboard_global()))
        Py_RETURN_NONE;
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &server_limit);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &thread_limit);
    if (!(procs = PyList_New(0)))
        return NULL;
    for (i = 0; i < server_limit; i++) {
        process_score *ps = ap_get_scoreboard_process(i);
        if (!ps || !ps->pid)
            continue;
        if (!(workers = PyList_New(0)))
            goto fail;
        for (j = 0; j < thread_limit; j++) {
            item = sb_worker(i, j);
            if (!item || PyList_Append(workers, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(workers);
                goto fail;
            }
            Py_DECREF(item);
        }
        item = Py_BuildValue("{s:i,s:i,s:i,s:O,s:N}", "process_num", i, "pid", (int)ps->pid,
                             "generation", (int)ps->generation,
                             "quiescing", ps->quiescing ? Py_True : Py_False, "workers", workers);
        if (!item || PyList_Append(procs, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    return Py_BuildValue("{s:i,s:i,s:i,s:d,s:d,s:d,s:N}", "server_limit", server_limit,
                         "thread_limit", thread_limit,
                         "running_generation", (int)g->running_generation,
                         "restart_time", sb_seconds(g->restart_time),
                         "current_time", sb_seconds(now),
                         "running_time", sb_seconds(now - g->restart_time), "processes", procs);
fail:
    Py_DECREF(procs);
    return NULL;
}

/* daemon_fwd.c -- daemon mode in the Apache children: the forwarder.
 *
 * wx_daemon_forward() sends a request to its daemon group over a pooled persistent UNIX-socket
 * connection and relays the framed answer (mod_wsgi_ext/daemon/protocol.py) to the client:
 *   - at most ThreadsPerChild idle connections per group and child, none reused after 30 s idle
 *     (the daemon keeps idle connections 60 s, so it never closes one the child may still use);
 *   - the request is sent again, on a new connection, only when writing it failed or when the
 *     daemon answered G (it promises it did not run it): never after any of it may have reached
 *     the application (pitfall 20);
 *   - the request body goes to the daemon only when the application asks (R frames), so a body
 *     it does not read is never sent and the connection stays in step;
 *   - a daemon that goes away before its final frame costs the client a 502 before the response
 *     head or a cut connection after it, never a short 200, and the log line names the process,
 *     how it died (from /proc while it is a zombie) and the script.
 */
#include "wx.h"
#include "daemon.h"

/* ================================================================ child: forwarder */

static void wx_daemon_child_init(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *list = wx_daemon_list(s->process->pconf);
    int i, j, threads = 1;
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    for (i = 0; i < list->nelts; i++) {
        wx_daemon_rt *rt = (((wx_daemon **)list->elts)[i])->rt;
        if (!rt)
            continue;
        if (rt->fd >= 0) {
            close(rt->fd);   /* the children only connect */
            rt->fd = -1;
        }
        for (j = 0; j < rt->processes; j++)
            if (rt->procs[j].ready_fd >= 0) {   /* the parent's, for its supervision */
                close(rt->procs[j].ready_fd);
                rt->procs[j].ready_fd = -1;
            }
        rt->cap = threads > 0 ? threads : 1;
        rt->idle = apr_pcalloc(p, sizeof(wx_pconn) * rt->cap);
        apr_thread_mutex_create(&rt->mu, APR_THREAD_MUTEX_DEFAULT, p);
    }
}

/* A pooled connection that is still open and has nothing unread (the daemon sends G before it
 * closes an idle one), or -1. */
static int pool_get(wx_daemon_rt *rt, pid_t *pid)
{
    apr_time_t now = apr_time_now();
    int fd = -1;
    char c;
    apr_thread_mutex_lock(rt->mu);
    while (rt->nidle > 0) {
        wx_pconn pc = rt->idle[--rt->nidle];
        if (now - pc.used < WX_IDLE_MAX && recv(pc.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0
            && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fd = pc.fd;
            *pid = pc.pid;
            break;
        }
        close(pc.fd);
    }
    apr_thread_mutex_unlock(rt->mu);
    return fd;
}

static void pool_put(wx_daemon_rt *rt, int fd, pid_t pid)
{
    apr_thread_mutex_lock(rt->mu);
    if (rt->nidle < rt->cap) {
        rt->idle[rt->nidle].fd = fd;
        rt->idle[rt->nidle].pid = pid;
        rt->idle[rt->nidle].used = apr_time_now();
        rt->nidle++;
        fd = -1;
    }
    apr_thread_mutex_unlock(rt->mu);
    if (fd >= 0)
        close(fd);
}

static int dconnect(wx_daemon_rt *rt, const char **err, apr_pool_t *p)
{
    struct sockaddr_un sa;
    struct timeval tv;
    apr_time_t deadline = apr_time_now() + rt->connect_timeout;
    int fd;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, rt->path);
    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            /* the listener must be the one the parent made: someone who can write in the
             * socket's directory (or the children's user, who owns the file) could have put
             * their own socket there, to be handed the secret and the requests */
            struct ucred cr;
            socklen_t len = sizeof(cr);
            if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != rt->sock_uid) {
                *err = apr_psprintf(p, "the socket %s is not this Apache's: it is listened on by "
                                    "uid %ld (pid %ld), not uid %ld; check who can write in its "
                                    "directory (WSGISocketPrefix)", rt->path,
                                    (long)(len == sizeof(cr) ? cr.uid : -1),
                                    (long)(len == sizeof(cr) ? cr.pid : -1), (long)rt->sock_uid);
                close(fd);
                return -1;
            }
            tv.tv_sec = apr_time_sec(rt->socket_timeout);
            tv.tv_usec = apr_time_usec(rt->socket_timeout);
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            return fd;
        }
        close(fd);
        /* a full backlog (EAGAIN) or a socket being replaced: try again until connect-timeout */
        if ((errno != EAGAIN && errno != ECONNREFUSED && errno != ENOENT && errno != EINTR)
            || apr_time_now() > deadline)
            break;
        apr_sleep(apr_time_from_msec(10));
    }
    *err = apr_psprintf(p, "cannot connect to %s: %s", rt->path, strerror(errno));
    return -1;
}

static int send_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= w;
        }
    }
    return 0;
}

static int send_frame(int fd, char type, const void *data, apr_size_t len)
{
    unsigned char h[5];
    struct iovec iov[2];
    h[0] = type;
    h[1] = len >> 24; h[2] = len >> 16; h[3] = len >> 8; h[4] = len;
    iov[0].iov_base = h;
    iov[0].iov_len = 5;
    iov[1].iov_base = (void *)data;
    iov[1].iov_len = len;
    return send_all(fd, iov, len ? 2 : 1);
}

/* buffered reads from the daemon */
typedef struct {
    int fd;
    char *buf;
    apr_size_t start, end;
    int err;           /* errno of the failure, 0 for EOF */
} wx_rd;

static int rd_fill(wx_rd *rd)
{
    ssize_t n;
    if (rd->start == rd->end)
        rd->start = rd->end = 0;
    else if (rd->start > WX_BUF / 2) {
        memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
        rd->end -= rd->start;
        rd->start = 0;
    }
    do
        n = recv(rd->fd, rd->buf + rd->end, WX_BUF - rd->end, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        rd->err = n < 0 ? errno : 0;
        return -1;
    }
    rd->end += n;
    return 0;
}

/* exactly len bytes into out (which may be larger than the buffer) */
static int rd_read(wx_rd *rd, char *out, apr_size_t len)
{
    while (len) {
        apr_size_t n;
        if (rd->start == rd->end && rd_fill(rd) < 0)
            return -1;
        n = rd->end - rd->start < len ? rd->end - rd->start : len;
        memcpy(out, rd->buf + rd->start, n);
        rd->start += n;
        out += n;
        len -= n;
    }
    return 0;
}


/* How the daemon process pid ended, read from /proc while it is a zombie (the Apache parent reaps
 * it within a second); NULL-free text for the log line. */
static const char *death_cause(apr_pool_t *p, pid_t pid)
{
    char path[64], buf[1024];
    int i;
    if (pid <= 0)
        return "the process is unknown";
    apr_snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    for (i = 0; i < 30; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC), n, field = 3;
        char *rp, *tok, *save;
        if (fd < 0)
            return "it has exited (the Apache parent's log line says how)";
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0 || !(rp = strrchr((buf[n] = '\0', buf), ')')))
            break;
        if (rp[2] == 'Z' || rp[2] == 'X') {
            for (tok = apr_strtok(rp + 2, " ", &save); tok && field < 52; field++)
                tok = apr_strtok(NULL, " ", &save);
            if (tok) {
                int st = atoi(tok);
                if (WIFSIGNALED(st))
                    return apr_psprintf(p, "it was killed by signal %d (%s)%s", WTERMSIG(st),
                                        strsignal(WTERMSIG(st)),
                                        WCOREDUMP(st) ? ", core dumped" : "");
                if (WIFEXITED(st))
                    return apr_psprintf(p, "it exited with status %d", WEXITSTATUS(st));
            }
            return "it has exited";
        }
        apr_sleep(apr_time_from_msec(10));
    }
    return "it is still running: it closed the connection itself";
}

static void end_broken(request_rec *r)
{
    conn_rec *c = r->connection;
    apr_bucket_brigade *bb;
    /* the head (and what ap_rwrite buffered) must be out first: an error bucket that reaches
     * the header filter before the head would become a 502 page instead of a cut response */
    if (!c->aborted)
        ap_rflush(r);
    bb = apr_brigade_create(r->pool, c->bucket_alloc);
    r->no_cache = 1;
    c->keepalive = AP_CONN_CLOSE;
    if (!c->aborted)
        APR_BRIGADE_INSERT_TAIL(bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, r->pool,
                                                           c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(c->bucket_alloc));
    ap_pass_brigade(r->output_filters, bb);
}

/* the response head of an S frame: "NNN reason" NUL name NUL value NUL ... */
static int set_head(request_rec *r, char *payload, apr_size_t len)
{
    char *p = payload, *end = payload + len, *name, *value;
    if (!len || end[-1] != '\0' || len < 4)
        return -1;
    r->status = atoi(p);
    r->status_line = p;
    p += strlen(p) + 1;
    while (p < end) {
        name = p;
        p += strlen(p) + 1;
        if (p >= end)
            return -1;
        value = p;
        p += strlen(p) + 1;
        if (!strcasecmp(name, "Content-Type"))
            ap_set_content_type(r, value);
        else if (!strcasecmp(name, "Content-Length"))
            ap_set_content_length(r, apr_atoi64(value));
        else
            apr_table_add(r->headers_out, name, value);
    }
    return 0;
}

enum { R_DONE, R_RETRY, R_FAILED };
#define WX_BROKEN (-1)   /* status: end the response as broken */

typedef struct {
    request_rec *r;
    wx_daemon_rt *rt;
    const char *script;
    int fresh;               /* a new connection: no daemon has accepted it yet */
    pid_t pid;
    int status;
    int reusable;
    const char *redirect;    /* 200 with a local Location: served by an internal redirect */
} wx_relay;

static int relay(wx_relay *x, int fd)
{
    request_rec *r = x->r;
    wx_rd rd;
    int started = 0, head = 0, gone = 0;
    char *body = NULL;
    const char *why;
    rd.fd = fd;
    rd.buf = apr_palloc(r->pool, WX_BUF);
    rd.start = rd.end = 0;
    rd.err = 0;
    x->reusable = 0;
    x->status = OK;
    for (;;) {
        unsigned char h[5];
        apr_size_t len;
        char *payload = NULL;
        if (rd_read(&rd, (char *)h, 5) < 0)
            goto broken;
        len = ((apr_size_t)h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4];
        if (len > WX_MAX_FRAME) {
            why = apr_psprintf(r->pool, "a frame of %" APR_SIZE_T_FMT " bytes (the limit is %u)",
                               len, WX_MAX_FRAME);
            goto protocol;
        }
        if (h[0] == 'D' || h[0] == 'F') {
            started = head = 1;
            while (len) {
                apr_size_t n;
                if (rd.start == rd.end && rd_fill(&rd) < 0)
                    goto broken;
                n = rd.end - rd.start < len ? rd.end - rd.start : len;
                if (!gone && !x->redirect && ap_rwrite(rd.buf + rd.start, (int)n, r) < 0)
                    gone = 1;
                rd.start += n;
                len -= n;
            }
            if (!gone && !x->redirect && h[0] == 'F' && ap_rflush(r) < 0)
                gone = 1;
            if (gone || r->connection->aborted) {
                /* the client went away: closing the daemon connection makes the application's
                 * next write fail, and its close() run */
                x->status = OK;
                return R_FAILED;
            }
            continue;
        }
        payload = apr_palloc(r->pool, len + 1);
        if (rd_read(&rd, payload, len) < 0)
            goto broken;
        payload[len] = '\0';
        switch (h[0]) {
        case 'P':
            if (x->fresh) {     /* accepted: from now on the group's socket-timeout applies */
                struct timeval tv;
                tv.tv_sec = apr_time_sec(x->rt->socket_timeout);
                tv.tv_usec = apr_time_usec(x->rt->socket_timeout);
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                x->fresh = 0;
            }
            if (len == 4)
                x->pid = (pid_t)(((unsigned)(unsigned char)payload[0] << 24)
                                 | ((unsigned char)payload[1] << 16)
                                 | ((unsigned char)payload[2] << 8) | (unsigned char)payload[3]);
            break;
        case 'S':
            started = head = 1;
            if (set_head(r, payload, len) < 0) {
                why = "a malformed response head";
                goto protocol;
            }
            if (r->status == 200) {
                const char *loc = apr_table_get(r->headers_out, "Location");
                if (loc && loc[0] == '/')
                    x->redirect = loc;     /* as mod_wsgi and CGI: the body is not sent */
            }
            break;
        case 'R': {
            apr_size_t want;
            long got;
            started = 1;
            if (len != 4) {
                why = "a malformed read frame";
                goto protocol;
            }
            want = ((apr_size_t)(unsigned char)payload[0] << 24)
                   | ((unsigned char)payload[1] << 16) | ((unsigned char)payload[2] << 8)
                   | (unsigned char)payload[3];
            if (want > WX_BUF)
                want = WX_BUF;
            if (!body)
                body = apr_palloc(r->pool, WX_BUF);
            got = want ? ap_get_client_block(r, body, want) : 0;
            if (got < 0) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_wsgi_ext: reading the request "
                              "body of %s from the client failed", x->script);
                x->status = head ? WX_BROKEN : HTTP_BAD_REQUEST;
                return R_FAILED;
            }
            if ((got ? send_frame(fd, 'B', body, got) : send_frame(fd, 'E', NULL, 0)) < 0)
                goto broken;
            break;
        }
        case 'L': {
            int level = len ? (unsigned char)payload[0] : APLOG_ERR;
            if (level > APLOG_TRACE8)
                level = APLOG_ERR;
            started = 1;
            ap_log_rerror(APLOG_MARK, level, 0, r, "(daemon %s) %s", x->rt->d->name,
                          len ? payload + 1 : "");
            break;
        }
        case 'Z':
            if (len != 8) {
                why = "a malformed end frame";
                goto protocol;
            }
            x->status = ((unsigned char)payload[0] << 24) | ((unsigned char)payload[1] << 16)
                        | ((unsigned char)payload[2] << 8) | (unsigned char)payload[3];
            x->reusable = !((unsigned char)payload[7] & 1);
            if (x->status && head && r->status < 400) {
                /* an error status after a response head went out cannot be sent */
                x->status = WX_BROKEN;
            }
            return R_DONE;
        case 'X':
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_wsgi_ext: daemon group '%s' ended "
                          "the response to %s as broken: %s", x->rt->d->name, x->script,
                          payload);
            x->status = head ? WX_BROKEN : HTTP_BAD_GATEWAY;
            return R_DONE;
        case 'G':
            if (started) {
                why = "a refusal after the request had started";
                goto protocol;
            }
            return R_RETRY;
        default:
            why = apr_psprintf(r->pool, "an unknown frame type 0x%02x", h[0]);
            goto protocol;
        }
    }
protocol:
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: protocol error from daemon process "
                  "(pid %d) of group '%s' while serving %s: %s", (int)x->pid, x->rt->d->name,
                  x->script, why);
    x->status = head ? WX_BROKEN : HTTP_BAD_GATEWAY;
    return R_FAILED;
broken:
    if ((rd.err == EAGAIN || rd.err == EWOULDBLOCK) && x->fresh) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: no process of daemon group "
                      "'%s' accepted the connection for %s within connect-timeout (%d s): the "
                      "group is not running (see the lines about it before); answering 503",
                      x->rt->d->name, x->script, (int)apr_time_sec(x->rt->connect_timeout));
        x->status = HTTP_SERVICE_UNAVAILABLE;
        return R_FAILED;
    }
    if (rd.err == EAGAIN || rd.err == EWOULDBLOCK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: no answer from daemon process "
                      "(pid %d) of group '%s' for %s within socket-timeout (%d s); %s",
                      (int)x->pid, x->rt->d->name, x->script,
                      (int)apr_time_sec(x->rt->socket_timeout),
                      head ? "the response is cut" : "answering 504");
        x->status = head ? WX_BROKEN : HTTP_GATEWAY_TIME_OUT;
        return R_FAILED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: daemon process (pid %d) of group "
                  "'%s' went away while running %s: %s; %s (a Python stack, when the process "
                  "could write one, is in the error log just before this line)", (int)x->pid,
                  x->rt->d->name, x->script, death_cause(r->pool, x->pid),
                  head ? "the response is cut" : "answering 502");
    x->status = head ? WX_BROKEN : HTTP_BAD_GATEWAY;
    return R_FAILED;
}

typedef struct {
    char *buf;
    apr_size_t len, cap;
    apr_pool_t *p;
} wx_head;

static void head_add(wx_head *hd, const char *k, const char *v)
{
    apr_size_t kl = strlen(k) + 1, vl = strlen(v) + 1;
    if (hd->len + kl + vl > hd->cap) {
        apr_size_t cap = (hd->cap + kl + vl) * 2;
        char *nb = apr_palloc(hd->p, cap);
        memcpy(nb, hd->buf, hd->len);
        hd->buf = nb;
        hd->cap = cap;
    }
    memcpy(hd->buf + hd->len, k, kl);
    memcpy(hd->buf + hd->len + kl, v, vl);
    hd->len += kl + vl;
}

int wx_daemon_forward(request_rec *r, const char *group, const char *script,
                      const char *script_name, const char *application_group,
                      const char *callable, int reloading, int pass_authorization, int map_head,
                      int error_override, const char *proxy_headers, const char *proxies,
                      long long mtime)
{
    wx_daemon *d = wx_daemon_find(ap_server_conf->process->pconf, group);
    wx_daemon_rt *rt = d ? d->rt : NULL;
    const apr_array_header_t *arr = apr_table_elts(r->subprocess_env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    wx_head hd;
    wx_relay x;
    unsigned char pre[WX_PREAMBLE_LEN];
    int i, attempt;
    const char *err = NULL;

    if (!rt || !rt->mu) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: %s asks for the daemon process "
                      "group '%s', which no WSGIDaemonProcess defines", script, group);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* the CGI variables go into the request's environment, as ap_add_cgi_vars() and mod_wsgi
     * do, so that an internal redirect (a 200 with a local Location) passes them on as
     * REDIRECT_*; REQUEST_URI is the URI the client asked for, before any internal redirect */
    {
        request_rec *first = r;
        while (first->prev)
            first = first->prev;
        apr_table_setn(r->subprocess_env, "SERVER_PROTOCOL", r->protocol);
        apr_table_setn(r->subprocess_env, "REQUEST_METHOD",
                       map_head && r->header_only ? "GET" : r->method);
        apr_table_setn(r->subprocess_env, "QUERY_STRING", r->args ? r->args : "");
        apr_table_setn(r->subprocess_env, "REQUEST_URI", first->unparsed_uri);
        apr_table_setn(r->subprocess_env, "SCRIPT_NAME", script_name);
        apr_table_setn(r->subprocess_env, "PATH_INFO", r->path_info ? r->path_info : "");
        arr = apr_table_elts(r->subprocess_env);
        e = (const apr_table_entry_t *)arr->elts;
    }
    hd.p = r->pool;
    hd.cap = 4096;
    hd.len = 5;
    hd.buf = apr_palloc(r->pool, hd.cap);
    for (i = 0; i < arr->nelts; i++)
        if (e[i].key && e[i].val && e[i].key[0] != ':')
            head_add(&hd, e[i].key, e[i].val);
    if (pass_authorization) {
        const char *auth = apr_table_get(r->headers_in, "Authorization");
        if (auth)
            head_add(&hd, "HTTP_AUTHORIZATION", auth);
    }
    head_add(&hd, "wsgi.url_scheme", ap_http_scheme(r));
    head_add(&hd, "mod_wsgi.process_group", group);
    head_add(&hd, "mod_wsgi.application_group", application_group);
    head_add(&hd, "mod_wsgi.callable_object", callable);
    head_add(&hd, "mod_wsgi.script_reloading", reloading ? "1" : "0");
    head_add(&hd, "mod_wsgi.request_id", r->log_id ? r->log_id : "");
    {
        apr_sockaddr_t *local = r->connection->local_addr;
        head_add(&hd, "mod_wsgi.listener_host", local && local->hostname ? local->hostname : "");
        head_add(&hd, "mod_wsgi.listener_port",
                 apr_psprintf(r->pool, "%d", local ? (int)local->port : 0));
        head_add(&hd, "mod_wsgi.request_handler", r->handler ? r->handler : "");
    }
    head_add(&hd, "mod_wsgi.request_start", apr_psprintf(r->pool, "%" APR_TIME_T_FMT,
                                                          r->request_time));
    head_add(&hd, "apache.version", apr_psprintf(r->pool, "%d.%d.%d",
                                                 AP_SERVER_MAJORVERSION_NUMBER,
                                                 AP_SERVER_MINORVERSION_NUMBER,
                                                 AP_SERVER_PATCHLEVEL_NUMBER));
    /* meta last, so that nothing above can stand in for it */
    head_add(&hd, ":script", script);
    head_add(&hd, ":callable", callable);
    head_add(&hd, ":group", application_group);
    head_add(&hd, ":reloading", reloading ? "1" : "0");
    head_add(&hd, ":mtime", apr_psprintf(r->pool, "%lld", mtime));
    head_add(&hd, ":override", error_override ? "1" : "0");
    head_add(&hd, ":body", ap_should_client_block(r) ? "1" : "0");
    head_add(&hd, ":head", r->header_only ? "1" : "0");
    head_add(&hd, ":start", apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time));
    if (proxy_headers && *proxy_headers) {
        head_add(&hd, ":proxy_headers", proxy_headers);
        head_add(&hd, ":proxies", proxies ? proxies : "");
    }
    if (hd.len - 5 > WX_MAX_FRAME) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: the request head for %s is "
                      "%" APR_SIZE_T_FMT " bytes, over the limit of %u", script, hd.len - 5,
                      WX_MAX_FRAME);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    hd.buf[0] = 'Q';
    hd.buf[1] = (hd.len - 5) >> 24;
    hd.buf[2] = (hd.len - 5) >> 16;
    hd.buf[3] = (hd.len - 5) >> 8;
    hd.buf[4] = (hd.len - 5);
    memcpy(pre, "WXD\1", 4);
    memcpy(pre + 4, rt->secret, WX_SECRET_LEN);

    memset(&x, 0, sizeof(x));
    x.r = r;
    x.rt = rt;
    x.script = script;
    for (attempt = 0; attempt < WX_ATTEMPTS; attempt++) {
        struct iovec iov[2];
        int fd, reused = 1, rc;
        x.pid = 0;
        fd = pool_get(rt, &x.pid);
        if (fd < 0) {
            reused = 0;
            if ((fd = dconnect(rt, &err, r->pool)) < 0)
                break;
        }
        iov[0].iov_base = pre;
        iov[0].iov_len = sizeof(pre);
        iov[1].iov_base = hd.buf;
        iov[1].iov_len = hd.len;
        if (send_all(fd, reused ? iov + 1 : iov, reused ? 1 : 2) < 0) {
            /* nothing of this request reached an application: safe to send it again */
            err = apr_psprintf(r->pool, "sending the request failed: %s", strerror(errno));
            close(fd);
            if (reused)
                continue;
            break;
        }
        x.fresh = !reused;
        if (!reused) {      /* until a daemon accepts it: connect-timeout */
            struct timeval tv;
            tv.tv_sec = apr_time_sec(rt->connect_timeout);
            tv.tv_usec = apr_time_usec(rt->connect_timeout);
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        }
        rc = relay(&x, fd);
        if (rc == R_RETRY) {
            close(fd);
            continue;
        }
        if (rc == R_DONE && x.reusable)
            pool_put(rt, fd, x.pid);
        else
            close(fd);
        if (x.status == WX_BROKEN) {
            end_broken(r);
            return OK;
        }
        if (x.status == OK && x.redirect) {
            /* a GET of the new location, without the body the first request had */
            r->method = "GET";
            r->method_number = M_GET;
            apr_table_unset(r->headers_in, "Content-Length");
            ap_internal_redirect_handler(x.redirect, r);
        }
        return x.status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: daemon process group '%s' could not "
                  "take the request for %s: %s; answering 503", group, script,
                  err ? err : "every process was restarting");
    return HTTP_SERVICE_UNAVAILABLE;
}

/* ================================================================ registration */

void wx_daemon_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(wx_daemon_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(wx_daemon_post_config, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_child_init(wx_daemon_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

/* dispatch.c -- WSGIDispatchScript: before a request's interpreter is chosen, ask the dispatch
 * script (runtime/dispatch.py, through embedded.dispatch) for the process group, application
 * group and callable.  A feature file beside module.c: it calls interp.c, environ.c and
 * request.c below it. */
#include "wx.h"

static const char *latin1_or_null(request_rec *r, PyObject *v)
{
    PyObject *b;
    const char *s;
    if (v == Py_None || !PyUnicode_Check(v))
        return NULL;
    if (!(b = PyUnicode_AsLatin1String(v))) {
        PyErr_Clear();
        return NULL;
    }
    s = apr_pstrmemdup(r->pool, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return s;
}

/* OK with out[0..2] = the process group, application group and callable the script chose (NULL:
 * keep the configured one), or HTTP_INTERNAL_SERVER_ERROR (logged). */
int wx_dispatch(request_rec *r, const wx_mount *ds, const char *script_name, int reloading,
                int map_head, const char *out[3])
{
    const char *spec = ds->application_group, *group, *err = NULL;
    wx_entered st;
    wx_interp *ip;
    PyObject *env = NULL, *req = NULL, *path = NULL, *func = NULL, *res = NULL;
    int i, status = HTTP_INTERNAL_SERVER_ERROR;
    out[0] = out[1] = out[2] = NULL;
    if (wx_python_failure) {
        /* no Python in this process (WSGIRestrictEmbedded On children): refuse, as auth.c does;
         * wx_enter would ask for a GIL that was never created */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the "
                      "WSGIDispatchScript '%s': %s", ds->path, wx_python_failure);
        return status;
    }
    /* as mod_wsgi: the main interpreter unless application-group= names another */
    group = !spec ? "" : wx_resolve_app_group(r, strcmp(spec, "%{RESOURCE}") ? spec : "%{SERVER}",
                                               script_name);
    if (!(ip = wx_enter(group, &st, r->pool, &err))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the "
                      "WSGIDispatchScript '%s': %s", ds->path, err ? err : "no interpreter");
        return status;
    }
    env = wx_build_environ(r, script_name, "", group, "application", reloading, 0, map_head);
    req = env ? wx_request_new(r) : NULL;
    path = req ? PyUnicode_DecodeFSDefault(ds->path) : NULL;
    func = path ? wx_interp_func(ip, "dispatch") : NULL;
    res = func ? PyObject_CallFunction(func, "OOOi", req, env, path, reloading) : NULL;
    if (!res)
        wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: WSGIDispatchScript "
                                                  "'%s' could not be run", ds->path));
    else if (PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 3) {
        for (i = 0; i < 3; i++)
            out[i] = latin1_or_null(r, PyTuple_GET_ITEM(res, i));
        status = OK;
    }
    /* None: the script failed, and runtime/dispatch.py logged why */
    if (req) {
        wx_request_invalidate(req);
        Py_DECREF(req);
    }
    Py_XDECREF(res);
    Py_XDECREF(func);
    Py_XDECREF(path);
    Py_XDECREF(env);
    wx_leave(&st);
    return status;
}

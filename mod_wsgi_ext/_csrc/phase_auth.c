/* phase_auth.c -- the phase script's answers to Apache's authn/authz providers:
 *
 *   authz "wsgi-phase"   Require wsgi-phase NAME ARGS...   (@phases.require(NAME))
 *   wx_phase_authn       check_password / get_realm_hash, for auth.c's "wsgi" authn provider
 *                        when no WSGIAuthUserScript applies
 *   wx_phase_groups      groups_for_user, for auth.c's "wsgi-group" provider when no
 *                        WSGIAuthGroupScript applies
 *
 * Each enters the script's interpreter (phases.c: wx_phase_begin) and asks
 * mod_wsgi_ext.runtime.phases.run(), which gives the answers their meaning.
 */
#include "wx.h"
#include "mod_auth.h"
#include "phases.h"

static PyObject *word_tuple(request_rec *r, const char *line)
{
    PyObject *list = PyList_New(0), *t;
    const char *w;
    while (list && *(w = ap_getword_conf(r->pool, &line))) {
        PyObject *s = wx_latin1_or_none(w);
        if (!s || PyList_Append(list, s) < 0)
            Py_CLEAR(list);
        Py_XDECREF(s);
    }
    if (!list)
        return NULL;
    t = PyList_AsTuple(list);
    Py_DECREF(list);
    return t;
}

static authz_status wx_phase_authz(request_rec *r, const char *require_line, const void *parsed)
{
    wx_phase_call c;
    const wx_mount *m;
    PyObject *words;
    int reloading, status;
    if (!(m = wx_phase_script(r, &reloading))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: Require wsgi-phase is used for "
                      "%s, but no WSGIPhaseScript applies", r->uri);
        return AUTHZ_GENERAL_ERROR;
    }
    if (wx_phase_begin(&c, r, m, reloading) < 0)
        return AUTHZ_GENERAL_ERROR;
    words = word_tuple(r, require_line);
    status = wx_phase_as_int(wx_phase_run(&c, r, "require", words ? Py_BuildValue("(N)", words) : NULL),
                    AUTHZ_GENERAL_ERROR);
    wx_leave(&c.st);
    return status;
}

static const char *wx_phase_authz_parse(cmd_parms *cmd, const char *require_line,
                                        const void **parsed)
{
    if (!*ap_getword_conf(cmd->temp_pool, &require_line))
        return "Require wsgi-phase takes the name of a @phases.require handler and its arguments";
    return NULL;
}

const authz_provider wx_phase_authz_provider = {
    &wx_phase_authz,
    &wx_phase_authz_parse,
};

/* For auth.c's "wsgi" authn provider when no WSGIAuthUserScript applies.  1 when a
 * WSGIPhaseScript applies (*status set; for check_password *value may be the user name to use,
 * for get_realm_hash the hash), 0 when none does. */
int wx_phase_authn(request_rec *r, int digest, const char *user, const char *arg, int *status,
                   const char **value)
{
    wx_phase_call c;
    const wx_mount *m;
    PyObject *res;
    int reloading;
    *value = NULL;
    if (!(m = wx_phase_script(r, &reloading)))
        return 0;
    *status = AUTH_GENERAL_ERROR;
    if (wx_phase_begin(&c, r, m, reloading) < 0)
        return 1;
    res = wx_phase_run(&c, r, digest ? "get_realm_hash" : "check_password",
                     Py_BuildValue("(NN)", wx_latin1_or_none(user), wx_latin1_or_none(arg)));
    if (res && PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 2) {
        PyObject *v = PyTuple_GET_ITEM(res, 1);
        long s = PyLong_AsLong(PyTuple_GET_ITEM(res, 0));
        if (s == -1 && PyErr_Occurred())
            PyErr_Clear();                        /* stays AUTH_GENERAL_ERROR */
        else if (v == Py_None)
            *status = (int)s;
        else if ((*value = wx_pool_latin1(r, v, 0)))
            *status = (int)s;
        else        /* a user name with CR, LF or NUL, or not latin-1: a 500 that says why */
            wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: the %s handler of "
                                                      "'%s' answered an unusable value",
                                                      digest ? "get_realm_hash"
                                                             : "check_password", m->path));
    }
    Py_XDECREF(res);
    wx_leave(&c.st);
    return 1;
}

/* For auth.c's "wsgi-group" authz provider when no WSGIAuthGroupScript applies: 1 when a
 * WSGIPhaseScript applies (*status set), else 0. */
int wx_phase_groups(request_rec *r, const char *require_args, int *status)
{
    wx_phase_call c;
    const wx_mount *m;
    PyObject *words;
    int reloading;
    if (!(m = wx_phase_script(r, &reloading)))
        return 0;
    *status = AUTHZ_GENERAL_ERROR;
    if (wx_phase_begin(&c, r, m, reloading) < 0)
        return 1;
    words = word_tuple(r, require_args);
    *status = wx_phase_as_int(wx_phase_run(&c, r, "groups_for_user",
                                words ? Py_BuildValue("(N)", words) : NULL), AUTHZ_GENERAL_ERROR);
    wx_leave(&c.st);
    return 1;
}


/* phases.c -- WSGIPhaseScript: Apache's access, authentication, authorization and fixup phases
 * handed to a wsgi_phases.Phases object, and the request object its handlers get.
 *
 *   access_checker        @phases.access
 *   check_user_id         @phases.authenticate, for AuthType values no other module handles
 *                         (after mod_auth_basic/digest/form, before mod_authn_core's fallback)
 *   note_auth_failure     the 401 challenge of those AuthTypes: 'TYPE realm="AuthName"'
 *   fixups                @phases.fixup
 *   (the authz provider "wsgi-phase" and the fallbacks of auth.c's providers: phase_auth.c)
 *
 * A request outside every WSGIPhaseScript scope returns DECLINED from these hooks without
 * touching Python.  In scope, the hook enters the script's interpreter (application-group=,
 * default %{GLOBAL}), takes the script's Phases object (runtime/phases.py: load(), kept here per
 * interpreter and checked against the file at most once a second) and runs the phase's handlers
 * in a C loop with Apache's stacking rules (wsgi_phases.dispatch.run_hook's rules; its
 * hook_result/hook_exception give unusual answers and exceptions their meaning).
 *
 * The request object (phase_request.c; subclassed per interpreter by runtime/phase_request.py):
 * one per request and interpreter, kept in a small per-request record on r->pool; a pool cleanup
 * invalidates it when the request ends (with the GIL, so no method is half-way).
 */
#include "wx.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "phases.h"

#define WX_PHASES_RUNTIME "mod_wsgi_ext.runtime.phases"
#define WX_PHASE_KEY "wsgi_ext_phase_state"
#define WX_PHASE_MAX_INTERPS 4

/* ------------------------------------------------------------------ per interpreter */

static const char *const wx_hook_names[] = {"access", "authenticate", "fixup"};

#define WX_LOADED_MAX 256   /* distinct scripts (and objects) remembered per interpreter */


static wx_phase_interp *wx_phase_interps;    /* touched with the GIL held only */
static apr_pool_t *wx_phase_pool;            /* for them; with the GIL held only */
static int wx_phase_type_ok;

/* this interpreter's run() and request class (created on first use); NULL with an error */
static wx_phase_interp *phase_interp(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    wx_phase_interp *pi;
    PyObject *mod, *classes;
    int i;
    for (pi = wx_phase_interps; pi; pi = pi->next)
        if (pi->id == id)
            return pi;
    if (!wx_phase_type_ok) {
        if (PyType_Ready(&wx_PhaseReqType) < 0 || PyType_Ready(&wx_PhaseTableType) < 0)
            return NULL;
        wx_phase_type_ok = 1;
    }
    if (!wx_phase_pool && apr_pool_create(&wx_phase_pool, NULL) != APR_SUCCESS) {
        PyErr_NoMemory();
        return NULL;
    }
    if (!(mod = PyImport_ImportModule(WX_PHASES_RUNTIME)))
        return NULL;
    pi = calloc(1, sizeof(*pi));
    if (!pi) {
        Py_DECREF(mod);
        PyErr_NoMemory();
        return NULL;
    }
    pi->id = id;
    pi->run = PyObject_GetAttrString(mod, "run");
    pi->load = pi->run ? PyObject_GetAttrString(mod, "load") : NULL;
    pi->hook_result = pi->load ? PyObject_GetAttrString(mod, "hook_result") : NULL;
    pi->hook_exception = pi->hook_result ? PyObject_GetAttrString(mod, "hook_exception") : NULL;
    pi->handlers_name = PyUnicode_InternFromString("handlers");
    for (i = 0; i < 3; i++)
        pi->names[i] = PyUnicode_InternFromString(wx_hook_names[i]);
    pi->loaded = apr_hash_make(wx_phase_pool);
    pi->env_key = PyUnicode_InternFromString("wsgi_phases.request");
    classes = pi->hook_exception && pi->handlers_name ? PyObject_CallMethod(mod, "request_class", "OO", &wx_PhaseReqType,
                                            &wx_PhaseTableType) : NULL;
    if (classes && PyTuple_Check(classes) && PyTuple_GET_SIZE(classes) == 2) {
        pi->cls = PyTuple_GET_ITEM(classes, 0);
        pi->table_cls = PyTuple_GET_ITEM(classes, 1);
        Py_INCREF(pi->cls);
        Py_INCREF(pi->table_cls);
    }
    Py_XDECREF(classes);
    Py_DECREF(mod);
    if (!pi->cls || !pi->env_key || !pi->names[0] || !pi->names[1] || !pi->names[2]
        || !PyType_Check(pi->cls) || !PyType_Check(pi->table_cls)
        || !PyType_IsSubtype((PyTypeObject *)pi->cls, &wx_PhaseReqType)
        || !PyType_IsSubtype((PyTypeObject *)pi->table_cls, &wx_PhaseTableType)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "request_class() must answer subclasses of "
                            "PhaseRequest and PhaseTable");
        Py_XDECREF(pi->run);
        Py_XDECREF(pi->load);
        Py_XDECREF(pi->hook_result);
        Py_XDECREF(pi->hook_exception);
        Py_XDECREF(pi->handlers_name);
        for (i = 0; i < 3; i++)
            Py_XDECREF(pi->names[i]);
        Py_XDECREF(pi->cls);
        Py_XDECREF(pi->table_cls);
        Py_XDECREF(pi->env_key);
        free(pi);
        return NULL;
    }
    pi->next = wx_phase_interps;
    wx_phase_interps = pi;
    return pi;
}

/* ------------------------------------------------------------------ per request */

typedef struct wx_phase_state {
    request_rec *r;
    int n;
    const char *group[WX_PHASE_MAX_INTERPS];
    PyObject *obj[WX_PHASE_MAX_INTERPS];
    struct wx_phase_state *next;       /* internal redirects share r->pool */
} wx_phase_state;

/* the request ended: invalidate its objects in their interpreters and let them go */
static apr_status_t phase_state_cleanup(void *data)
{
    wx_phase_state *ps = data;
    int i;
    if (wx_python_failure)
        return APR_SUCCESS;          /* the child is going away: leave Python alone */
    for (i = 0; i < ps->n; i++) {
        wx_entered st;
        const char *err = NULL;
        if (!ps->obj[i] || !wx_enter(ps->group[i], &st, ps->r->connection->pool, &err))
            continue;
        wx_phase_object_invalidate(ps->obj[i]);
        Py_CLEAR(ps->obj[i]);
        wx_leave(&st);
    }
    return APR_SUCCESS;
}

static wx_phase_state *phase_state(request_rec *r, int create)
{
    void *data = NULL;
    wx_phase_state *ps, *first;
    apr_pool_userdata_get(&data, WX_PHASE_KEY, r->pool);
    for (first = ps = data; ps; ps = ps->next)
        if (ps->r == r)
            return ps;
    if (!create)
        return NULL;
    ps = apr_pcalloc(r->pool, sizeof(*ps));
    ps->r = r;
    ps->next = first;
    apr_pool_userdata_setn(ps, WX_PHASE_KEY, NULL, r->pool);
    apr_pool_cleanup_register(r->pool, ps, phase_state_cleanup, apr_pool_cleanup_null);
    return ps;
}

static PyObject *new_request_object(wx_phase_interp *pi, request_rec *r)
{
    return wx_phase_object_new(pi->cls, pi->table_cls, r);
}

/* The request object of r in the current interpreter (named group), kept until the request
 * ends: a borrowed reference, or NULL with a Python error.  The GIL is held. */
static PyObject *phase_request(request_rec *r, const char *group, wx_phase_interp *pi)
{
    wx_phase_state *ps = phase_state(r, 1);
    int i;
    for (i = 0; i < ps->n; i++)
        if (!strcmp(ps->group[i], group))
            return ps->obj[i];
    if (ps->n == WX_PHASE_MAX_INTERPS) {
        PyErr_SetString(PyExc_RuntimeError, "mod_wsgi_ext: phase handlers of one request run in "
                        "too many interpreters");
        return NULL;
    }
    if (!(ps->obj[ps->n] = new_request_object(pi, r)))
        return NULL;
    ps->group[ps->n] = apr_pstrdup(r->pool, group);
    return ps->obj[ps->n++];
}

/* For the WSGI handler (module.c), inside the application's interpreter: put this interpreter's
 * request object of r into env as "wsgi_phases.request".  Returns a new reference for
 * wx_phase_request_release() after the application has run, or NULL (nothing to release; the
 * Python error is logged).  When no phase made an object in this interpreter, one is made here and
 * *owned set: it is invalidated by the release (no pool cleanup needed). */
PyObject *wx_phase_request_for_app(request_rec *r, const char *group, PyObject *env, int *owned)
{
    wx_phase_interp *pi = phase_interp();
    wx_phase_state *ps;
    PyObject *o = NULL;
    int i;
    *owned = 0;
    if (pi && (ps = phase_state(r, 0)))
        for (i = 0; i < ps->n && !o; i++)
            if (!strcmp(ps->group[i], group)) {
                o = ps->obj[i];
                Py_INCREF(o);
            }
    if (pi && !o && (o = new_request_object(pi, r)))
        *owned = 1;
    if (o && PyDict_SetItem(env, pi->env_key, o) < 0) {
        wx_phase_request_release(o, *owned);
        o = NULL;
    }
    if (!o)
        wx_log_python_error(r, NULL, "mod_wsgi_ext: the request object for "
                            "environ['wsgi_phases.request'] could not be made");
    return o;
}

void wx_phase_request_release(PyObject *obj, int owned)
{
    if (owned)
        wx_phase_object_invalidate(obj);
    Py_DECREF(obj);
}

/* ------------------------------------------------------------------ calling the handlers */


const wx_mount *wx_phase_script(request_rec *r, int *reloading)
{
    wx_dir_config *dc = ap_get_module_config(r->per_dir_config, &wsgi_ext_module);
    const wx_mount *m = dc->mv[WX_DS_PHASE_SCRIPT];
    if (!m || !m->path)
        return NULL;
    *reloading = dc->iv[WX_DS_SCRIPT_RELOADING] != 0;
    return m;
}

/* Enter the script's interpreter with its request object ready: 0, or -1 (logged, not entered) */
int wx_phase_begin(wx_phase_call *c, request_rec *r, const wx_mount *m, int reloading)
{
    const char *spec = m->application_group, *err = NULL;
    wx_phase_interp *pi;
    c->script = m;
    c->reloading = reloading;
    if (wx_python_failure) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the WSGIPhaseScript "
                      "'%s': %s", m->path, wx_python_failure);
        return -1;
    }
    c->group = !spec ? "" : wx_resolve_app_group(r, strcmp(spec, "%{RESOURCE}") ? spec
                                                                              : "%{SERVER}",
                                                 r->uri);
    if (!wx_enter(c->group, &c->st, r->pool, &err)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the WSGIPhaseScript "
                      "'%s': %s", m->path, err ? err : "cannot enter the interpreter");
        return -1;
    }
    if (!(pi = phase_interp()) || !(c->req = phase_request(r, c->group, pi))) {
        wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: preparing the phase "
                                                  "handlers of '%s' failed", m->path));
        wx_leave(&c->st);
        return -1;
    }
    c->pi = pi;
    return 0;
}

/* run(request, phase, script, object, reloading, group, *extra) -> new reference or NULL
 * (logged); extra (a tuple of at most 2) is stolen.  A vectorcall: no argument tuple. */
PyObject *wx_phase_run(wx_phase_call *c, request_rec *r, const char *phase, PyObject *extra)
{
    PyObject *args[8] = {NULL}, *res = NULL;
    const char *object = c->script->callable_object ? c->script->callable_object : "phases";
    Py_ssize_t n = 6, i;
    args[0] = c->req;
    args[1] = PyUnicode_FromString(phase);
    args[2] = PyUnicode_DecodeFSDefault(c->script->path);
    args[3] = PyUnicode_FromString(object);
    args[4] = c->reloading ? Py_True : Py_False;
    args[5] = PyUnicode_FromString(c->group);
    if (extra && PyTuple_Check(extra))
        for (i = 0; i < PyTuple_GET_SIZE(extra) && n < 8; i++)
            args[n++] = PyTuple_GET_ITEM(extra, i);
    if (args[1] && args[2] && args[3] && args[5] && (extra || !PyErr_Occurred()))
        res = PyObject_Vectorcall(c->pi->run, args, n, NULL);
    if (!res)
        wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: exception running the "
                                                  "%s phase of '%s'", phase, c->script->path));
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
    Py_XDECREF(args[3]);
    Py_XDECREF(args[5]);
    Py_XDECREF(extra);
    return res;
}

/* an int answer, or fallback */
int wx_phase_as_int(PyObject *res, int fallback)
{
    long v;
    if (!res)
        return fallback;
    v = PyLong_AsLong(res);
    Py_DECREF(res);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return fallback;
    }
    return (int)v;
}

/* The script's Phases object in this interpreter (borrowed), through a cache checked against the
 * file at most once a second (never with script reloading off); NULL when it did not load (the
 * caller then goes through run(), which logs why). */
static PyObject *loaded_phases(wx_phase_call *c, request_rec *r)
{
    const char *object = c->script->callable_object ? c->script->callable_object : "phases";
    const char *key = apr_pstrcat(r->pool, c->script->path, "\n", object, NULL);
    wx_loaded *ld = apr_hash_get(c->pi->loaded, key, APR_HASH_KEY_STRING);
    PyObject *args[5], *res;
    if (ld && ld->phases && (!c->reloading
                             || r->request_time - ld->checked < apr_time_from_sec(1)))
        return ld->phases;
    args[0] = c->req;
    args[1] = PyUnicode_DecodeFSDefault(c->script->path);
    args[2] = PyUnicode_FromString(object);
    args[3] = c->reloading ? Py_True : Py_False;
    args[4] = PyUnicode_FromString(c->group);
    res = args[1] && args[2] && args[4] ? PyObject_Vectorcall(c->pi->load, args, 5, NULL) : NULL;
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
    Py_XDECREF(args[4]);
    if (!res) {
        wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: exception loading "
                                                  "'%s'", c->script->path));
        return NULL;
    }
    if (!ld) {
        if (apr_hash_count(c->pi->loaded) >= WX_LOADED_MAX) {
            Py_DECREF(res);
            return NULL;            /* run() loads it each time (its own cache still helps) */
        }
        ld = apr_pcalloc(wx_phase_pool, sizeof(*ld));
        apr_hash_set(c->pi->loaded, apr_pstrdup(wx_phase_pool, key), APR_HASH_KEY_STRING, ld);
    }
    ld->checked = r->request_time;
    if (res == Py_None) {
        Py_DECREF(res);
        Py_CLEAR(ld->phases);
    }
    else
        Py_XSETREF(ld->phases, res);
    return ld->phases;
}

/* The handlers of one hook phase, with Apache's stacking rules (wsgi_phases.dispatch.run_hook
 * in C): OK, DECLINED/None and statuses are read here; every other answer, and exceptions, go to
 * dispatch.hook_result / hook_exception, which log and give them their meaning.  NULL on error. */
static PyObject *dispatch_hook(wx_phase_call *c, request_rec *r, PyObject *phases, int which)
{
    wx_phase_interp *pi = c->pi;
    PyObject *handlers, *res = NULL, *args[4];
    long answer = DECLINED, v;
    int overflow;
    Py_ssize_t i;
    handlers = PyObject_CallMethodOneArg(phases, pi->handlers_name, pi->names[which]);
    if (!handlers || !PyTuple_Check(handlers)) {
        if (handlers)
            PyErr_SetString(PyExc_TypeError, "Phases.handlers() must answer a tuple");
        Py_XDECREF(handlers);
        return NULL;
    }
    if (PyTuple_GET_SIZE(handlers))
        wx_phase_object_set_phase(c->req, pi->names[which]);
    for (i = 0; i < PyTuple_GET_SIZE(handlers); i++) {
        PyObject *func = PyTuple_GET_ITEM(handlers, i);
        res = PyObject_CallOneArg(func, c->req);
        if (!res) {
            /* the exception, with its traceback, to dispatch.hook_exception */
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb && value)
                PyException_SetTraceback(value, tb);
            args[0] = pi->names[which];
            args[1] = func;
            args[2] = c->req;
            args[3] = value ? value : Py_None;
            res = PyObject_Vectorcall(pi->hook_exception, args, 4, NULL);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            break;
        }
        if (res == Py_None) {
            Py_CLEAR(res);
            continue;
        }
        /* an int beyond a C long is no hook value: it goes to hook_result below, which logs
         * it (PyLong_AsLong would answer -1, DECLINED, with an OverflowError left pending) */
        if (PyLong_CheckExact(res) && (v = PyLong_AsLongAndOverflow(res, &overflow), !overflow)) {
            if (v == DECLINED) {
                Py_CLEAR(res);
                continue;
            }
            if (v == OK && which != WX_P_AUTHENTICATE) {
                answer = OK;
                Py_CLEAR(res);
                continue;
            }
            if ((v == OK && r->user) || (v != HTTP_UNAUTHORIZED && v != OK
                                         && (v == DONE || (v >= 300 && v <= 599))))
                break;
        }
        /* anything else: dispatch.hook_result checks and logs */
        args[0] = pi->names[which];
        args[1] = func;
        args[2] = c->req;
        args[3] = res;
        Py_SETREF(res, PyObject_Vectorcall(pi->hook_result, args, 4, NULL));
        break;
    }
    if (i == PyTuple_GET_SIZE(handlers) && !res)
        res = PyLong_FromLong(answer);
    Py_DECREF(handlers);
    return res;
}

static int run_hook(request_rec *r, int which)
{
    wx_phase_call c;
    const wx_mount *m;
    PyObject *phases, *res;
    int reloading, status;
    if (!(m = wx_phase_script(r, &reloading)))
        return DECLINED;
    if (wx_phase_begin(&c, r, m, reloading) < 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    if ((phases = loaded_phases(&c, r))) {
        if (!(res = dispatch_hook(&c, r, phases, which)))
            wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: exception running "
                                                      "the %s phase of '%s'",
                                                      wx_hook_names[which], m->path));
    }
    else
        res = wx_phase_run(&c, r, wx_hook_names[which], NULL);
    status = wx_phase_as_int(res, HTTP_INTERNAL_SERVER_ERROR);
    wx_leave(&c.st);
    return status;
}

static int wx_phase_access(request_rec *r)
{
    return run_hook(r, WX_P_ACCESS);
}

static int wx_phase_fixups(request_rec *r)
{
    return run_hook(r, WX_P_FIXUP);
}

static int our_auth_type(request_rec *r, const char *type)
{
    return type && strcasecmp(type, "Basic") && strcasecmp(type, "Digest")
           && strcasecmp(type, "Form");
}

static int wx_phase_check_user_id(request_rec *r)
{
    const char *type = ap_auth_type(r);
    int reloading, status;
    if (!our_auth_type(r, type) || !wx_phase_script(r, &reloading))
        return DECLINED;
    status = run_hook(r, WX_P_AUTHENTICATE);
    if (status == OK && r->user && !r->ap_auth_type)
        r->ap_auth_type = (char *)type;
    return status;
}

/* the 401 challenge of an AuthType a phase script authenticates: TYPE realm="AuthName", unless
 * a handler's Deny already gave one */
static int wx_phase_note_auth_failure(request_rec *r, const char *type)
{
    const char *name;
    int reloading;
    if (!our_auth_type(r, type) || !wx_phase_script(r, &reloading))
        return DECLINED;
    if (!apr_table_get(r->err_headers_out, "WWW-Authenticate")) {
        name = ap_auth_name(r);
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       name ? apr_psprintf(r->pool, "%s realm=\"%s\"", type,
                                           ap_escape_quotes(r->pool, name))
                            : type);
    }
    return OK;
}

/* ------------------------------------------------------------------ registration */

void wx_phases_register_hooks(apr_pool_t *p)
{
    static const char *const authn_before[] = {"mod_auth_basic.c", "mod_auth_digest.c",
                                               "mod_auth_form.c", NULL};
    static const char *const authn_after[] = {"mod_authn_core.c", NULL};
    ap_hook_check_access(wx_phase_access, NULL, NULL, APR_HOOK_MIDDLE,
                         AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(wx_phase_check_user_id, authn_before, authn_after, APR_HOOK_LAST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(wx_phase_note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(wx_phase_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "wsgi-phase", AUTHZ_PROVIDER_VERSION,
                              &wx_phase_authz_provider, AP_AUTH_INTERNAL_PER_CONF);
}

/* phases.c -- WSGIPhaseScript: Apache's access, authentication, authorization and fixup phases
 * handed to a wsgi_phases.Phases object, and the request object its handlers get.
 *
 *   access_checker        @phases.access
 *   check_user_id         @phases.authenticate, for AuthType values no other module handles
 *                         (after mod_auth_basic/digest/form, before mod_authn_core's fallback)
 *   note_auth_failure     the 401 challenge of those AuthTypes: 'TYPE realm="AuthName"'
 *   authz "wsgi-phase"    Require wsgi-phase NAME ARGS...   (@phases.require(NAME))
 *   fixups                @phases.fixup
 *   wx_phase_authn/groups called by auth.c's "wsgi" authn and "wsgi-group" authz providers when
 *                         no WSGIAuthUserScript / WSGIAuthGroupScript applies
 *
 * A request outside every WSGIPhaseScript scope returns DECLINED from these hooks without
 * touching Python.  In scope, the hook enters the script's interpreter (application-group=,
 * default %{GLOBAL}) and calls mod_wsgi_ext.runtime.phases.run(request, phase, ...), which
 * gives the handlers' answers their meaning (wsgi_phases.dispatch).
 *
 * The request object: the C type PhaseRequest below holds the request_rec and offers its fields
 * and tables; mod_wsgi_ext/runtime/phase_request.py subclasses it per interpreter into the full
 * wsgi_phases request.  One object per request and interpreter, kept in a small per-request
 * record on r->pool; a pool cleanup invalidates it when the request ends (with the GIL, so no
 * method is half-way).  Methods work only in the thread that runs the request; any other thread,
 * and any use after the end, gets RuntimeError.
 */
#include "wx.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "http_ssl.h"

#define WX_PHASES_RUNTIME "mod_wsgi_ext.runtime.phases"
#define WX_PHASE_KEY "wsgi_ext_phase_state"
#define WX_PHASE_MAX_INTERPS 4

/* ------------------------------------------------------------------ the request type */

typedef struct {
    PyObject_HEAD
    request_rec *r;
    apr_os_thread_t owner;
} wx_PhaseReqObject;

/* The request is over: the object no longer reaches it, and what Python kept on it (its tables
 * refer back to it) is let go now rather than at the next garbage collection. */
static void invalidate(PyObject *obj)
{
    PyObject **dict;
    ((wx_PhaseReqObject *)obj)->r = NULL;
    dict = _PyObject_GetDictPtr(obj);      /* no dict is made for an object that has none */
    if (dict && *dict)
        PyDict_Clear(*dict);
    PyErr_Clear();
}

static PyObject *phase_unusable(wx_PhaseReqObject *o)
{
    if (!o->r)
        return wx_request_ended();
    PyErr_SetString(PyExc_RuntimeError, "mod_wsgi_ext: the request object can only be used in "
                    "the thread that runs its request");
    return NULL;
}

#define PREQ(self) \
    request_rec *r = ((wx_PhaseReqObject *)(self))->r; \
    if (!r || !apr_os_thread_equal(((wx_PhaseReqObject *)(self))->owner, apr_os_thread_current())) \
        return phase_unusable((wx_PhaseReqObject *)(self))
#define PREQ_SET(self) \
    request_rec *r = ((wx_PhaseReqObject *)(self))->r; \
    if (!r || !apr_os_thread_equal(((wx_PhaseReqObject *)(self))->owner, apr_os_thread_current())) { \
        phase_unusable((wx_PhaseReqObject *)(self)); return -1; }

static PyObject *text_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeLatin1(s, strlen(s), NULL);
}

/* a latin-1 str as a pool copy (the Python side checked it for CR/LF/NUL); NULL on error */
static const char *pool_text(request_rec *r, PyObject *s)
{
    PyObject *b;
    const char *copy;
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "str expected, not %.100s", Py_TYPE(s)->tp_name);
        return NULL;
    }
    if (!(b = PyUnicode_AsLatin1String(s)))
        return NULL;
    if (memchr(PyBytes_AS_STRING(b), '\0', PyBytes_GET_SIZE(b))) {
        Py_DECREF(b);
        PyErr_SetString(PyExc_ValueError, "NUL in a request value");
        return NULL;
    }
    copy = apr_pstrmemdup(r->pool, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return copy;
}

enum { F_METHOD, F_URI, F_UNPARSED_URI, F_QUERY, F_PROTOCOL, F_HOSTNAME, F_SCHEME, F_IS_HTTPS,
       F_CLIENT_IP, F_USERAGENT_IP, F_REMOTE_HOST, F_FILENAME, F_PATH_INFO, F_HANDLER,
       F_CONTENT_TYPE, F_USER, F_AUTH_TYPE, F_AUTH_NAME, F_LOG_ID };

static PyObject *preq_get(PyObject *self, void *closure)
{
    PREQ(self);
    switch ((int)(intptr_t)closure) {
    case F_METHOD:       return text_or_none(r->method);
    case F_URI:          return text_or_none(r->uri);
    case F_UNPARSED_URI: return text_or_none(r->unparsed_uri);
    case F_QUERY:        return text_or_none(r->args ? r->args : "");
    case F_PROTOCOL:     return text_or_none(r->protocol);
    case F_HOSTNAME:     return text_or_none(r->hostname);
    case F_SCHEME:       return text_or_none(ap_http_scheme(r));
    case F_IS_HTTPS:     return PyBool_FromLong(ap_ssl_conn_is_ssl(r->connection));
    case F_CLIENT_IP:    return text_or_none(r->connection->client_ip);
    case F_USERAGENT_IP: return text_or_none(r->useragent_ip);
    case F_REMOTE_HOST:
        return text_or_none(ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST,
                                               NULL));
    case F_FILENAME:     return text_or_none(r->filename);
    case F_PATH_INFO:    return text_or_none(r->path_info);
    case F_HANDLER:      return text_or_none(r->handler);
    case F_CONTENT_TYPE: return text_or_none(r->content_type);
    case F_USER:         return text_or_none(r->user);
    case F_AUTH_TYPE:    return text_or_none(r->ap_auth_type ? r->ap_auth_type : ap_auth_type(r));
    case F_AUTH_NAME:    return text_or_none(ap_auth_name(r));
    case F_LOG_ID:       return text_or_none(r->log_id);
    }
    Py_RETURN_NONE;
}

static int preq_set(PyObject *self, PyObject *value, void *closure)
{
    const char *v = NULL;
    PREQ_SET(self);
    if (value && value != Py_None && !(v = pool_text(r, value)))
        return -1;
    switch ((int)(intptr_t)closure) {
    case F_HANDLER:
        r->handler = v;
        break;
    case F_CONTENT_TYPE:
        if (v)
            ap_set_content_type(r, v);
        else
            r->content_type = NULL;
        break;
    case F_USER:
        r->user = (char *)v;
        break;
    case F_AUTH_TYPE:
        r->ap_auth_type = (char *)v;
        break;
    }
    return 0;
}

static PyObject *preq_alive(PyObject *self, void *closure)
{
    return PyBool_FromLong(((wx_PhaseReqObject *)self)->r != NULL);
}

#define RO(name, f, doc) {name, preq_get, NULL, doc, (void *)(intptr_t)(f)}
#define RW(name, f, doc) {name, preq_get, preq_set, doc, (void *)(intptr_t)(f)}
static PyGetSetDef preq_getset[] = {
    RO("method", F_METHOD, "the request method"),
    RO("uri", F_URI, "the path of the URL, decoded"),
    RO("unparsed_uri", F_UNPARSED_URI, "the URL as the client sent it"),
    RO("query_string", F_QUERY, "the query string ('' when there is none)"),
    RO("protocol", F_PROTOCOL, "HTTP/1.1 and the like"),
    RO("hostname", F_HOSTNAME, "the host the request names"),
    RO("scheme", F_SCHEME, "http or https"),
    RO("is_https", F_IS_HTTPS, "the connection uses TLS"),
    RO("client_ip", F_CLIENT_IP, "the address of the connection's peer"),
    RO("useragent_ip", F_USERAGENT_IP, "the client's address (mod_remoteip may change it)"),
    RO("remote_host", F_REMOTE_HOST, "the client's host name when looked up, else None"),
    RO("filename", F_FILENAME, "the file the URL maps to"),
    RO("path_info", F_PATH_INFO, "the URL path after the file"),
    RW("handler", F_HANDLER, "the content handler Apache will run"),
    RW("content_type", F_CONTENT_TYPE, "the response content type"),
    RW("user", F_USER, "the authenticated user (REMOTE_USER)"),
    RW("auth_type", F_AUTH_TYPE, "the authentication type (AUTH_TYPE); AuthType until set"),
    RO("auth_name", F_AUTH_NAME, "AuthName"),
    RO("log_id", F_LOG_ID, "the request's log id"),
    {"alive", preq_alive, NULL, "the request is still running", NULL},
    {NULL}
};

static apr_table_t *which_table(request_rec *r, PyObject *which)
{
    switch (PyLong_AsLong(which)) {
    case 0: return r->headers_in;
    case 1: return r->headers_out;
    case 2: return r->err_headers_out;
    case 3: return r->notes;
    case 4: return r->subprocess_env;
    }
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "no such table");
    return NULL;
}

static PyObject *preq_tget(PyObject *self, PyObject *args)
{
    PyObject *which, *key;
    apr_table_t *t;
    const char *k;
    PREQ(self);
    if (!PyArg_ParseTuple(args, "OU", &which, &key) || !(t = which_table(r, which))
        || !(k = pool_text(r, key)))
        return NULL;
    return text_or_none(apr_table_get(t, k));
}

static int collect(void *list, const char *key, const char *value)
{
    PyObject *v = text_or_none(value);
    if (!v || PyList_Append(list, v) < 0) {
        Py_XDECREF(v);
        return 0;
    }
    Py_DECREF(v);
    return 1;
}

static PyObject *preq_tgetall(PyObject *self, PyObject *args)
{
    PyObject *which, *key, *list;
    apr_table_t *t;
    const char *k;
    PREQ(self);
    if (!PyArg_ParseTuple(args, "OU", &which, &key) || !(t = which_table(r, which))
        || !(k = pool_text(r, key)) || !(list = PyList_New(0)))
        return NULL;
    apr_table_do(collect, list, t, k, NULL);
    if (PyErr_Occurred()) {
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

/* _tset(which, key, value, add): set (or with add, append) a value; value None unsets */
static PyObject *preq_tset(PyObject *self, PyObject *args)
{
    PyObject *which, *key, *value;
    int add = 0;
    apr_table_t *t;
    const char *k, *v = NULL;
    PREQ(self);
    if (!PyArg_ParseTuple(args, "OUO|p", &which, &key, &value, &add)
        || !(t = which_table(r, which)) || !(k = pool_text(r, key))
        || (value != Py_None && !(v = pool_text(r, value))))
        return NULL;
    if (!v)
        apr_table_unset(t, k);
    else if (add)
        apr_table_addn(t, k, v);
    else
        apr_table_setn(t, k, v);
    Py_RETURN_NONE;
}

static PyObject *preq_tpairs(PyObject *self, PyObject *which)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_table_t *t;
    PyObject *list;
    int i;
    PREQ(self);
    if (!(t = which_table(r, which)) || !(list = PyList_New(0)))
        return NULL;
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        PyObject *pair;
        if (!e[i].key || !e[i].val)
            continue;
        pair = Py_BuildValue("(NN)", text_or_none(e[i].key), text_or_none(e[i].val));
        if (!pair || PyList_Append(list, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(pair);
    }
    return list;
}

static int add_option(void *dict, const char *key, const char *value)
{
    PyObject *k = text_or_none(key), *v = text_or_none(value);
    int ok = k && v && PyDict_SetItem(dict, k, v) == 0;
    Py_XDECREF(k);
    Py_XDECREF(v);
    return ok;
}

static PyObject *preq_options(PyObject *self, PyObject *noargs)
{
    wx_dir_config *dc;
    PyObject *d;
    PREQ(self);
    dc = ap_get_module_config(r->per_dir_config, &wsgi_ext_module);
    if (!(d = PyDict_New()))
        return NULL;
    if (dc->phase_options)
        apr_table_do(add_option, d, dc->phase_options, NULL);
    if (PyErr_Occurred()) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *preq_log(PyObject *self, PyObject *args)
{
    PREQ(self);
    return wx_log_request(r, args);
}

static PyObject *preq_ssl_var(PyObject *self, PyObject *arg)
{
    const char *name;
    PREQ(self);
    if (!(name = pool_text(r, arg)))
        return NULL;
    return text_or_none(ap_ssl_var_lookup(r->pool, r->server, r->connection, r, name));
}

/* (SERVER_NAME, SERVER_PORT, SERVER_ADDR, REMOTE_PORT, DOCUMENT_ROOT, SERVER_ADMIN) */
static PyObject *preq_server(PyObject *self, PyObject *noargs)
{
    PREQ(self);
    return Py_BuildValue("(NINiNN)", text_or_none(ap_get_server_name(r)),
                         (unsigned)ap_get_server_port(r), text_or_none(r->connection->local_ip),
                         (int)r->connection->client_addr->port,
                         text_or_none(ap_document_root(r)), text_or_none(r->server->server_admin));
}

/* _respond(status, content_type, body): answer the request now (the hook then returns DONE) */
static PyObject *preq_respond(PyObject *self, PyObject *args)
{
    int status;
    PyObject *ctype;
    Py_buffer body;
    const char *ct;
    PREQ(self);
    if (!PyArg_ParseTuple(args, "iUy*", &status, &ctype, &body))
        return NULL;
    if (!(ct = pool_text(r, ctype))) {
        PyBuffer_Release(&body);
        return NULL;
    }
    ap_discard_request_body(r);
    r->status = status;
    r->status_line = NULL;
    ap_set_content_type(r, ct);
    ap_set_content_length(r, body.len);
    if (!r->header_only) {
        Py_BEGIN_ALLOW_THREADS
        ap_rwrite(body.buf, (int)body.len, r);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&body);
    Py_RETURN_NONE;
}

/* _custom_response(status, text): the page Apache sends if it answers status (authn/authz) */
static PyObject *preq_custom_response(PyObject *self, PyObject *args)
{
    int status;
    PyObject *text;
    const char *t;
    PREQ(self);
    if (!PyArg_ParseTuple(args, "iU", &status, &text) || !(t = pool_text(r, text)))
        return NULL;
    /* ap_custom_response takes a text starting with '/' or a URL for a redirect: make the entry
     * through it, then store the text in its "literal message" form (a leading quote) */
    ap_custom_response(r, status, "\"");
    ((core_request_config *)ap_get_core_module_config(r->request_config))
        ->response_code_strings[ap_index_of_response(status)] = apr_pstrcat(r->pool, "\"", t,
                                                                              NULL);
    Py_RETURN_NONE;
}

static PyObject *preq_note_auth_failure(PyObject *self, PyObject *noargs)
{
    PREQ(self);
    ap_note_auth_failure(r);
    Py_RETURN_NONE;
}

static PyMethodDef preq_methods[] = {
    {"_tget", preq_tget, METH_VARARGS, "first value of a key in table n, or None"},
    {"_tgetall", preq_tgetall, METH_VARARGS, "every value of a key in table n"},
    {"_tset", preq_tset, METH_VARARGS, "set, add (add=True) or unset (None) a key in table n"},
    {"_tpairs", preq_tpairs, METH_O, "every (key, value) of table n"},
    {"_options", preq_options, METH_NOARGS, "WSGIPhaseOption values in scope"},
    {"_log", preq_log, METH_VARARGS, "_log(level, text) to the error log for this request"},
    {"ssl_var", preq_ssl_var, METH_O, "a mod_ssl variable, or None"},
    {"_server", preq_server, METH_NOARGS, "server facts for the environ"},
    {"_respond", preq_respond, METH_VARARGS, "answer now with status, content type and body"},
    {"_custom_response", preq_custom_response, METH_VARARGS, "the error page for a status"},
    {"_note_auth_failure", preq_note_auth_failure, METH_NOARGS, "add the AuthType's challenge"},
    {NULL}
};

static PyTypeObject wx_PhaseReqType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.PhaseRequest",
    .tp_basicsize = sizeof(wx_PhaseReqObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Apache's request_rec, for phase handlers (subclassed in runtime/phase_request.py).",
    .tp_methods = preq_methods,
    .tp_getset = preq_getset,
};

/* ------------------------------------------------------------------ per interpreter */

typedef struct wx_phase_interp {
    int64_t id;
    PyObject *run;          /* runtime.phases.run */
    PyObject *cls;          /* the request class made from wx_PhaseReqType */
    PyObject *env_key;      /* "wsgi_phases.request" */
    struct wx_phase_interp *next;
} wx_phase_interp;

static wx_phase_interp *wx_phase_interps;    /* touched with the GIL held only */
static int wx_phase_type_ok;

/* this interpreter's run() and request class (created on first use); NULL with an error */
static wx_phase_interp *phase_interp(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    wx_phase_interp *pi;
    PyObject *mod;
    for (pi = wx_phase_interps; pi; pi = pi->next)
        if (pi->id == id)
            return pi;
    if (!wx_phase_type_ok) {
        if (PyType_Ready(&wx_PhaseReqType) < 0)
            return NULL;
        wx_phase_type_ok = 1;
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
    pi->env_key = PyUnicode_InternFromString("wsgi_phases.request");
    pi->cls = pi->run ? PyObject_CallMethod(mod, "request_class", "O", &wx_PhaseReqType) : NULL;
    Py_DECREF(mod);
    if (!pi->cls || !pi->env_key || !PyType_Check(pi->cls)
        || !PyType_IsSubtype((PyTypeObject *)pi->cls, &wx_PhaseReqType)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "request_class() must subclass PhaseRequest");
        Py_XDECREF(pi->run);
        Py_XDECREF(pi->cls);
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
        invalidate(ps->obj[i]);
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
    PyTypeObject *cls = (PyTypeObject *)pi->cls;
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)cls->tp_alloc(cls, 0);
    if (!o)
        return NULL;
    o->r = r;
    o->owner = apr_os_thread_current();
    return (PyObject *)o;
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
        invalidate(obj);
    Py_DECREF(obj);
}

/* ------------------------------------------------------------------ calling the handlers */

typedef struct {
    const wx_mount *script;
    const char *group;
    wx_entered st;
    PyObject *req;          /* borrowed: the state keeps it */
    PyObject *run;
    int reloading;
} wx_phase_call;

static const wx_mount *phase_script(request_rec *r, int *reloading)
{
    wx_dir_config *dc = ap_get_module_config(r->per_dir_config, &wsgi_ext_module);
    const wx_mount *m = dc->mv[WX_DS_PHASE_SCRIPT];
    if (!m || !m->path)
        return NULL;
    *reloading = dc->iv[WX_DS_SCRIPT_RELOADING] != 0;
    return m;
}

/* Enter the script's interpreter with its request object ready: 0, or -1 (logged, not entered) */
static int phase_begin(wx_phase_call *c, request_rec *r, const wx_mount *m, int reloading)
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
    c->run = pi->run;
    return 0;
}

/* run(request, phase, script, object, reloading, group, *extra) -> new reference or NULL
 * (logged); extra (a tuple of at most 2) is stolen.  A vectorcall: no argument tuple. */
static PyObject *phase_call(wx_phase_call *c, request_rec *r, const char *phase, PyObject *extra)
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
        res = PyObject_Vectorcall(c->run, args, n, NULL);
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
static int as_int(PyObject *res, int fallback)
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

static int run_hook(request_rec *r, const char *phase)
{
    wx_phase_call c;
    const wx_mount *m;
    int reloading, status;
    if (!(m = phase_script(r, &reloading)))
        return DECLINED;
    if (phase_begin(&c, r, m, reloading) < 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    status = as_int(phase_call(&c, r, phase, NULL), HTTP_INTERNAL_SERVER_ERROR);
    wx_leave(&c.st);
    return status;
}

static int wx_phase_access(request_rec *r)
{
    return run_hook(r, "access");
}

static int wx_phase_fixups(request_rec *r)
{
    return run_hook(r, "fixup");
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
    if (!our_auth_type(r, type) || !phase_script(r, &reloading))
        return DECLINED;
    status = run_hook(r, "authenticate");
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
    if (!our_auth_type(r, type) || !phase_script(r, &reloading))
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

/* ------------------------------------------------------------------ providers */

static PyObject *word_tuple(request_rec *r, const char *line)
{
    PyObject *list = PyList_New(0), *t;
    const char *w;
    while (list && *(w = ap_getword_conf(r->pool, &line))) {
        PyObject *s = text_or_none(w);
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
    if (!(m = phase_script(r, &reloading))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: Require wsgi-phase is used for "
                      "%s, but no WSGIPhaseScript applies", r->uri);
        return AUTHZ_GENERAL_ERROR;
    }
    if (phase_begin(&c, r, m, reloading) < 0)
        return AUTHZ_GENERAL_ERROR;
    words = word_tuple(r, require_line);
    status = as_int(phase_call(&c, r, "require", words ? Py_BuildValue("(N)", words) : NULL),
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

static const authz_provider wx_phase_authz_provider = {
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
    if (!(m = phase_script(r, &reloading)))
        return 0;
    *status = AUTH_GENERAL_ERROR;
    if (phase_begin(&c, r, m, reloading) < 0)
        return 1;
    res = phase_call(&c, r, digest ? "get_realm_hash" : "check_password",
                     Py_BuildValue("(NN)", text_or_none(user), text_or_none(arg)));
    if (res && PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 2) {
        PyObject *v = PyTuple_GET_ITEM(res, 1);
        long s = PyLong_AsLong(PyTuple_GET_ITEM(res, 0));
        if (s == -1 && PyErr_Occurred())
            PyErr_Clear();                        /* stays AUTH_GENERAL_ERROR */
        else if (v == Py_None)
            *status = (int)s;
        else if ((*value = pool_text(r, v)))
            *status = (int)s;
        else
            PyErr_Clear();
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
    if (!(m = phase_script(r, &reloading)))
        return 0;
    *status = AUTHZ_GENERAL_ERROR;
    if (phase_begin(&c, r, m, reloading) < 0)
        return 1;
    words = word_tuple(r, require_args);
    *status = as_int(phase_call(&c, r, "groups_for_user",
                                words ? Py_BuildValue("(N)", words) : NULL), AUTHZ_GENERAL_ERROR);
    wx_leave(&c.st);
    return 1;
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

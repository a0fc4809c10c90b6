/* phase_request.c -- the request object of phase handlers: C types over Apache's request_rec.
 *
 *   PhaseRequest  the request's fields as attributes (handler, content_type, user, auth_type
 *                 writable), its five tables, and the primitives runtime/phase_request.py builds
 *                 the rest of the wsgi_phases request protocol on (_options, _log, _server,
 *                 _respond, _custom_response, _note_auth_failure, ssl_var)
 *   (its five tables are PhaseTable objects: phase_table.c)
 *
 * Both are subclassed once per interpreter (runtime/phase_request.py: request_class()); phases.c
 * makes the objects and invalidates them when their request ends.  Every method works only while
 * the request runs and only in the thread that runs it; otherwise it raises RuntimeError.  Keys
 * and values written are latin-1 str without CR, LF or NUL, copied into the request's pool.
 */
#include "wx.h"
#include "http_ssl.h"
#include "phases.h"

/* The request is over: the object no longer reaches it, and what Python kept on it (its tables
 * refer back to it) is let go now rather than at the next garbage collection. */
void wx_phase_object_invalidate(PyObject *obj)
{
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)obj;
    PyObject **dict;
    int i;
    o->r = NULL;
    for (i = 0; i < 5; i++)
        Py_CLEAR(o->tables[i]);
    Py_CLEAR(o->phase);
    Py_CLEAR(o->cache);
    dict = _PyObject_GetDictPtr(obj);      /* no dict is made for an object that has none */
    if (dict && *dict)
        PyDict_Clear(*dict);
    PyErr_Clear();
}

PyObject *wx_phase_unusable(wx_PhaseReqObject *o)
{
    if (!o || !o->r)
        return wx_request_ended();
    PyErr_SetString(PyExc_RuntimeError, "mod_wsgi_ext: the request object can only be used in "
                    "the thread that runs its request");
    return NULL;
}

PyObject *wx_latin1_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeLatin1(s, strlen(s), NULL);
}

/* a latin-1 str as a pool copy; NULL on error.  NUL is refused always, CR and LF unless
 * lines_ok (a page's text): what else takes it is a header, an environ value or a log field. */
const char *wx_pool_latin1(request_rec *r, PyObject *s, int lines_ok)
{
    PyObject *b;
    const char *copy, *c;
    Py_ssize_t n;
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "str expected, not %.100s", Py_TYPE(s)->tp_name);
        return NULL;
    }
    if (!(b = PyUnicode_AsLatin1String(s)))
        return NULL;
    c = PyBytes_AS_STRING(b);
    n = PyBytes_GET_SIZE(b);
    if (memchr(c, '\0', n) || (!lines_ok && (memchr(c, '\r', n) || memchr(c, '\n', n)))) {
        Py_DECREF(b);
        PyErr_Format(PyExc_ValueError, lines_ok ? "a request value must not contain NUL: %R"
                     : "a request value must not contain CR, LF or NUL: %R", s);
        return NULL;
    }
    copy = apr_pstrmemdup(r->pool, c, n);
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
    case F_METHOD:       return wx_latin1_or_none(r->method);
    case F_URI:          return wx_latin1_or_none(r->uri);
    case F_UNPARSED_URI: return wx_latin1_or_none(r->unparsed_uri);
    case F_QUERY:        return wx_latin1_or_none(r->args ? r->args : "");
    case F_PROTOCOL:     return wx_latin1_or_none(r->protocol);
    case F_HOSTNAME:     return wx_latin1_or_none(r->hostname);
    case F_SCHEME:       return wx_latin1_or_none(ap_http_scheme(r));
    case F_IS_HTTPS:     return PyBool_FromLong(ap_ssl_conn_is_ssl(r->connection));
    case F_CLIENT_IP:    return wx_latin1_or_none(r->connection->client_ip);
    case F_USERAGENT_IP: return wx_latin1_or_none(r->useragent_ip);
    case F_REMOTE_HOST: {
        const char *host;       /* a DNS look-up with HostnameLookups On: without the GIL */
        Py_BEGIN_ALLOW_THREADS
        host = ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST, NULL);
        Py_END_ALLOW_THREADS
        return wx_latin1_or_none(host);
    }
    case F_FILENAME:     return wx_latin1_or_none(r->filename);
    case F_PATH_INFO:    return wx_latin1_or_none(r->path_info);
    case F_HANDLER:      return wx_latin1_or_none(r->handler);
    case F_CONTENT_TYPE: return wx_latin1_or_none(r->content_type);
    case F_USER:         return wx_latin1_or_none(r->user);
    case F_AUTH_TYPE:    return wx_latin1_or_none(r->ap_auth_type ? r->ap_auth_type : ap_auth_type(r));
    case F_AUTH_NAME:    return wx_latin1_or_none(ap_auth_name(r));
    case F_LOG_ID:       return wx_latin1_or_none(r->log_id);
    }
    Py_RETURN_NONE;
}

static int preq_set(PyObject *self, PyObject *value, void *closure)
{
    const char *v = NULL;
    PREQ_SET(self);
    if (value && value != Py_None && !(v = wx_pool_latin1(r, value, 0)))
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

static void preq_dealloc(PyObject *self)
{
    int i;
    Py_CLEAR(((wx_PhaseReqObject *)self)->phase);
    Py_CLEAR(((wx_PhaseReqObject *)self)->cache);
    for (i = 0; i < 5; i++)
        Py_CLEAR(((wx_PhaseReqObject *)self)->tables[i]);
    Py_TYPE(self)->tp_free(self);
}

/* phase and _wx_phases: plain Python values kept in C fields (no instance dict needed) */
static PyObject *preq_get_slot(PyObject *self, void *closure)
{
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)self;
    PyObject *v = closure ? o->cache : o->phase;
    if (!v)
        v = Py_None;
    Py_INCREF(v);
    return v;
}

static int preq_set_slot(PyObject *self, PyObject *value, void *closure)
{
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)self;
    PyObject **slot = closure ? &o->cache : &o->phase;
    PREQ_SET(self);
    (void)r;
    Py_XINCREF(value);
    Py_XSETREF(*slot, value);
    return 0;
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
    {"phase", preq_get_slot, preq_set_slot, "the phase running", NULL},
    {"_wx_phases", preq_get_slot, preq_set_slot, "(internal)", (void *)1},
    {"headers_in", wx_phase_table_get, NULL, "the request headers", (void *)0},
    {"headers_out", wx_phase_table_get, NULL, "the response headers (success only)", (void *)1},
    {"err_headers_out", wx_phase_table_get, NULL, "the response headers (errors too)", (void *)2},
    {"notes", wx_phase_table_get, NULL, "notes for other modules (%{name}n in LogFormat)", (void *)3},
    {"subprocess_env", wx_phase_table_get, NULL, "the environment (the application's environ)",
     (void *)4},
    {NULL}
};

static int add_option(void *dict, const char *key, const char *value)
{
    PyObject *k = wx_latin1_or_none(key), *v = wx_latin1_or_none(value);
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
    if (!(name = wx_pool_latin1(r, arg, 0)))
        return NULL;
    return wx_latin1_or_none(ap_ssl_var_lookup(r->pool, r->server, r->connection, r, name));
}

/* (SERVER_NAME, SERVER_PORT, SERVER_ADDR, REMOTE_PORT, DOCUMENT_ROOT, SERVER_ADMIN) */
static PyObject *preq_server(PyObject *self, PyObject *noargs)
{
    PREQ(self);
    return Py_BuildValue("(NINiNN)", wx_latin1_or_none(ap_get_server_name(r)),
                         (unsigned)ap_get_server_port(r), wx_latin1_or_none(r->connection->local_ip),
                         (int)r->connection->client_addr->port,
                         wx_latin1_or_none(ap_document_root(r)), wx_latin1_or_none(r->server->server_admin));
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
    if (!(ct = wx_pool_latin1(r, ctype, 0))) {
        PyBuffer_Release(&body);
        return NULL;
    }
    /* reading (and dropping) the body waits on the client: never with the GIL held, or one
     * slow client stops every Python thread of the child */
    Py_BEGIN_ALLOW_THREADS
    ap_discard_request_body(r);
    Py_END_ALLOW_THREADS
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
    if (!PyArg_ParseTuple(args, "iU", &status, &text) || !(t = wx_pool_latin1(r, text, 1)))
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
    {"_options", preq_options, METH_NOARGS, "WSGIPhaseOption values in scope"},
    {"_log", preq_log, METH_VARARGS, "_log(level, text) to the error log for this request"},
    {"ssl_var", preq_ssl_var, METH_O, "a mod_ssl variable, or None"},
    {"_server", preq_server, METH_NOARGS, "server facts for the environ"},
    {"_respond", preq_respond, METH_VARARGS, "answer now with status, content type and body"},
    {"_custom_response", preq_custom_response, METH_VARARGS, "the error page for a status"},
    {"_note_auth_failure", preq_note_auth_failure, METH_NOARGS, "add the AuthType's challenge"},
    {NULL}
};

PyTypeObject wx_PhaseReqType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.PhaseRequest",
    .tp_basicsize = sizeof(wx_PhaseReqObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Apache's request_rec, for phase handlers (subclassed in runtime/phase_request.py).",
    .tp_dealloc = preq_dealloc,
    .tp_methods = preq_methods,
    .tp_getset = preq_getset,
};

/* request.phase, set by the C dispatch loop of phases.c */
void wx_phase_object_set_phase(PyObject *obj, PyObject *phase)
{
    Py_INCREF(phase);
    Py_XSETREF(((wx_PhaseReqObject *)obj)->phase, phase);
}

/* an object of the interpreter's request class cls for r, used by this thread */
PyObject *wx_phase_object_new(PyObject *cls, PyObject *table_cls, request_rec *r)
{
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)((PyTypeObject *)cls)->tp_alloc(
        (PyTypeObject *)cls, 0);
    if (!o)
        return NULL;
    o->r = r;
    o->owner = apr_os_thread_current();
    o->table_cls = (PyTypeObject *)table_cls;
    return (PyObject *)o;
}


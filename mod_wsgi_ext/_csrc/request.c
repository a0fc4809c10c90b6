/* request.c -- the per-request bridge object and the environ builder (CPython C API).
 *
 * The Python side (mod_wsgi_ext/wsgi/, mod_wsgi_ext/runtime/embedded.py) speaks WSGI; it reaches
 * Apache only through the methods of wx_RequestType below, a handful of calls per request:
 * read(n), start(status, reason, headers), write(data, flush), sendfile(fd, offset, length),
 * log(level, text), abort(); attributes aborted, started, header_only, alive.  These work in any
 * interpreter (the type is static and the module mod_wsgi_ext._apache is created in each
 * interpreter by wx_apache_module_new()).
 *
 * An application may hold the object and call it from any thread at any time.  Every method that
 * reaches Apache holds the object's lock while it does (the GIL is released while it waits for
 * it), so calls from several threads are serialised; once the Apache handler returns,
 * wx_request_invalidate() waits (GIL released) until no thread is inside Apache for the request,
 * and every later call raises RuntimeError.  What Apache keeps is its own: start() copies and
 * re-checks the head, sendfile() opens its own descriptor for the file.
 */
#include "wx.h"

typedef struct {
    PyObject_HEAD
    request_rec *r;             /* NULL once the request ended; changed only with the GIL held */
    apr_bucket_brigade *bb;
    pthread_mutex_t lock;       /* held by the one thread using r (GIL released while waiting) */
    unsigned long owner;        /* thread ident of the holder, 0 when free (GIL held to access) */
    int read_eof;
    int started;
    int ended;      /* abort() sent the end of the response: nothing more may follow it */
} wx_RequestObject;

PyObject *wx_request_ended(void)
{
    PyErr_SetString(PyExc_RuntimeError, "mod_wsgi_ext: this request has already ended");
    return NULL;
}

/* Take the request for the calling thread: its request_rec with the lock held, or NULL with
 * RuntimeError when the request has ended (also after waiting for it) or when this thread is
 * already inside a call on it (a finalizer run by the garbage collector during one).  Uncontended,
 * this is a trylock; pair every non-NULL result with req_leave(). */
static request_rec *req_enter(wx_RequestObject *o)
{
    unsigned long me = PyThread_get_thread_ident();
    if (!o->r)
        return (request_rec *)wx_request_ended();
    if (pthread_mutex_trylock(&o->lock) != 0) {
        if (o->owner == me) {
            PyErr_SetString(PyExc_RuntimeError, "mod_wsgi_ext: the request object was called "
                            "again from inside one of its own calls");
            return NULL;
        }
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&o->lock);
        Py_END_ALLOW_THREADS
        if (!o->r) {
            pthread_mutex_unlock(&o->lock);
            return (request_rec *)wx_request_ended();
        }
    }
    o->owner = me;
    return o->r;
}

static void req_leave(wx_RequestObject *o)
{
    o->owner = 0;
    pthread_mutex_unlock(&o->lock);
}

static PyObject *req_read(PyObject *self, PyObject *args)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    Py_ssize_t n = -1, got = 0, cap;
    PyObject *buf;
    request_rec *r;
    if (!PyArg_ParseTuple(args, "|n", &n))
        return NULL;
    if (!o->r)
        return wx_request_ended();
    if (o->read_eof || n == 0)
        return PyBytes_FromStringAndSize("", 0);
    cap = n > 0 ? n : 16384;
    buf = PyBytes_FromStringAndSize(NULL, cap);
    if (!buf)
        return NULL;
    if (!(r = req_enter(o))) {
        Py_DECREF(buf);
        return NULL;
    }
    while (!o->read_eof) {
        long rc;
        if (got == cap) {
            if (n > 0)
                break;
            cap *= 2;
            if (_PyBytes_Resize(&buf, cap) < 0)
                break;
        }
        Py_BEGIN_ALLOW_THREADS
        rc = ap_get_client_block(r, PyBytes_AS_STRING(buf) + got, cap - got);
        Py_END_ALLOW_THREADS
        if (rc == 0) {
            o->read_eof = 1;
            break;
        }
        if (rc < 0) {
            Py_CLEAR(buf);
            PyErr_SetString(PyExc_OSError, "mod_wsgi_ext: request data read error (the client "
                            "went away or sent a malformed body)");
            break;
        }
        got += rc;
        if (n > 0)
            break;    /* a short read is fine: the caller loops */
    }
    req_leave(o);
    if (buf && got != cap && _PyBytes_Resize(&buf, got) < 0)
        return NULL;
    return buf;
}

/* ------------------------------------------------------------------ the response head */

/* The rules start_response applies (wsgi/response.py), checked again here so that nothing the
 * Python side would refuse reaches Apache, whoever calls start(): header names are tokens, the
 * status reason and header values are latin-1 without control characters other than TAB, a
 * Content-Length is digits (optionally surrounded by blanks) that fit in 63 bits. */
static const char wx_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* The latin-1 text of a str as a NUL-terminated C string owned by the str (every checked string
 * holds no NUL), or NULL with an exception: TypeError when not a str, ValueError when it is not
 * latin-1 or holds a character not allowed (token: a header name; else text). */
static const char *checked_text(PyObject *s, int token, const char *what)
{
    const unsigned char *p;
    Py_ssize_t i = 0, n;
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "the %s must be str", what);
        return NULL;
    }
    if (PyUnicode_READY(s) < 0)
        return NULL;
    n = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND)
        goto bad;
    p = PyUnicode_1BYTE_DATA(s);
    if (token) {
        if (n == 0)
            goto bad;
        for (; i < n; i++)
            if (!wx_tchar[p[i]])
                goto bad;
        return (const char *)p;
    }
    /* eight at a time while no byte is below 0x20 or 0x7f (a TAB ends this fast path) */
    for (; i + 8 <= n; i += 8) {
        uint64_t w, d;
        memcpy(&w, p + i, 8);
        d = w ^ 0x7f7f7f7f7f7f7f7fULL;
        if (((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL)
            | ((d - 0x0101010101010101ULL) & ~d & 0x8080808080808080ULL))
            break;
    }
    for (; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
            goto bad;
    return (const char *)p;
bad:
    PyErr_Format(PyExc_ValueError, "mod_wsgi_ext: invalid %s %R", what, s);
    return NULL;
}

/* a Content-Length value: blanks, digits, blanks; -1 when it is anything else or too large */
static apr_off_t checked_length(const char *v)
{
    apr_off_t n = 0;
    int digits = 0;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v >= '0' && *v <= '9'; v++, digits++) {
        if (n > (APR_INT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*v - '0');
    }
    while (*v == ' ' || *v == '\t')
        v++;
    return digits && !*v ? n : -1;
}

/* the checked header (name, value) tuple's name is this one (ASCII case-insensitively) */
#define IS_NAME(item, lit) (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(item, 0)) == sizeof(lit) - 1 \
    && !strcasecmp((const char *)PyUnicode_1BYTE_DATA(PyTuple_GET_ITEM(item, 0)), lit))

static PyObject *req_start(PyObject *self, PyObject *args)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    int status;
    const char *reason;
    PyObject *headers, *reason_obj;
    Py_ssize_t i, n;
    apr_off_t length = -1;      /* the last Content-Length */
    request_rec *r;
    if (!PyArg_ParseTuple(args, "iOO!", &status, &reason_obj, &PyList_Type, &headers))
        return NULL;
    if (!o->r)
        return wx_request_ended();
    if (status < 100 || status > 999) {
        PyErr_Format(PyExc_ValueError, "mod_wsgi_ext: invalid status %d", status);
        return NULL;
    }
    if (!(r = req_enter(o)))
        return NULL;
    if (o->started) {
        /* the head was given already (two threads racing to send the first data, say): it
         * stays as it was checked and given */
        req_leave(o);
        Py_RETURN_NONE;
    }
    /* From here to the end the GIL is not released and no Python code runs, so the list and
     * its items cannot change between the check and the copy into Apache's tables.  All is
     * checked before anything is changed. */
    n = PyList_GET_SIZE(headers);
    if (!(reason = checked_text(reason_obj, 0, "status reason")))
        goto fail;
    for (i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(headers, i);
        const char *name, *value;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "headers must be (name, value) tuples");
            goto fail;
        }
        if (!(name = checked_text(PyTuple_GET_ITEM(item, 0), 1, "response header name"))
            || !(value = checked_text(PyTuple_GET_ITEM(item, 1), 0, "response header value")))
            goto fail;
        if (IS_NAME(item, "Content-Length") && (length = checked_length(value)) < 0) {
            PyErr_Format(PyExc_ValueError, "mod_wsgi_ext: invalid Content-Length %R",
                         PyTuple_GET_ITEM(item, 1));
            goto fail;
        }
    }
    r->status = status;
    r->status_line = apr_psprintf(r->pool, "%03d %s", status, reason);
    for (i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(headers, i);
        const char *name = (const char *)PyUnicode_1BYTE_DATA(PyTuple_GET_ITEM(item, 0));
        const char *value = (const char *)PyUnicode_1BYTE_DATA(PyTuple_GET_ITEM(item, 1));
        if (IS_NAME(item, "Content-Type"))
            ap_set_content_type(r, apr_pstrdup(r->pool, value));
        else if (!IS_NAME(item, "Content-Length"))
            apr_table_add(r->headers_out, name, value);     /* copies both */
    }
    if (length >= 0)
        ap_set_content_length(r, length);                   /* the last one, as Apache would */
    o->started = 1;
    req_leave(o);
    Py_RETURN_NONE;
fail:
    req_leave(o);
    return NULL;
}

/* ------------------------------------------------------------------ the response body */

/* pass what is in the brigade down the output filters; called with the lock held */
static PyObject *pass_brigade(wx_RequestObject *o, request_rec *r)
{
    apr_status_t rv;
    Py_BEGIN_ALLOW_THREADS
    rv = ap_pass_brigade(r->output_filters, o->bb);
    apr_brigade_cleanup(o->bb);
    Py_END_ALLOW_THREADS
    if (rv != APR_SUCCESS || r->connection->aborted)
        Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyObject *req_write(PyObject *self, PyObject *args)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    Py_buffer data;
    int flush = 0;
    PyObject *res;
    request_rec *r;
    if (!PyArg_ParseTuple(args, "y*|p", &data, &flush))
        return NULL;
    if (!(r = req_enter(o))) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (r->connection->aborted || o->ended) {
        res = Py_False;
        Py_INCREF(res);
    }
    else {
        if (data.len)
            APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_transient_create(
                                        data.buf, data.len, r->connection->bucket_alloc));
        if (flush)
            APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_flush_create(r->connection->bucket_alloc));
        res = pass_brigade(o, r);
    }
    req_leave(o);
    PyBuffer_Release(&data);
    return res;
}

/* sendfile(fd, offset, length): send part of a regular file.  Apache gets a descriptor of its
 * own, opened afresh through /proc (its own file offset too, so that the application may go on
 * using its file) or else duplicated, in the request pool like a file the core handler opens, so
 * that it stays valid for as long as any filter (mod_http2 sends later, from another thread)
 * holds the bucket, whatever the application does with its own descriptor afterwards.  Memory
 * mapping is off for it: a file the application truncates must not be a SIGBUS. */
static PyObject *req_sendfile(PyObject *self, PyObject *args)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    int fd;
    long long offset, length;
    struct stat st, own;
    apr_file_t *f = NULL, *app = NULL;
    apr_os_file_t osf, ownfd;
    apr_bucket *e;
    PyObject *res;
    request_rec *r;
    if (!PyArg_ParseTuple(args, "iLL", &fd, &offset, &length))
        return NULL;
    if (!o->r)
        return wx_request_ended();
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        PyErr_SetString(PyExc_ValueError, "mod_wsgi_ext: sendfile() needs an open regular file");
        return NULL;
    }
    if (offset < 0 || length < 0 || offset > st.st_size || length > st.st_size - offset) {
        PyErr_Format(PyExc_ValueError, "mod_wsgi_ext: sendfile() range %lld+%lld is outside the "
                     "file (%lld bytes)", offset, length, (long long)st.st_size);
        return NULL;
    }
    if (!(r = req_enter(o)))
        return NULL;
    if (o->ended) {
        req_leave(o);
        Py_RETURN_FALSE;
    }
    if (apr_file_open(&f, apr_psprintf(r->pool, "/proc/self/fd/%d", fd),
                      APR_FOPEN_READ | APR_FOPEN_SENDFILE_ENABLED, 0, r->pool) != APR_SUCCESS
        || apr_os_file_get(&ownfd, f) != APR_SUCCESS || fstat(ownfd, &own) != 0
        || own.st_dev != st.st_dev || own.st_ino != st.st_ino) {
        if (f)
            apr_file_close(f);
        f = NULL;
        osf = fd;
        if (apr_os_file_put(&app, &osf, APR_FOPEN_READ | APR_FOPEN_SENDFILE_ENABLED, r->pool)
            != APR_SUCCESS || apr_file_dup(&f, app, r->pool) != APR_SUCCESS
            || apr_os_file_get(&ownfd, f) != APR_SUCCESS || fstat(ownfd, &own) != 0
            || own.st_dev != st.st_dev || own.st_ino != st.st_ino) {
            /* (or another thread closed the number meanwhile and it now holds another file) */
            if (f)
                apr_file_close(f);
            req_leave(o);
            PyErr_SetString(PyExc_OSError, "mod_wsgi_ext: cannot take a descriptor of the file "
                            "for sendfile");
            return NULL;
        }
    }
    apr_brigade_insert_file(o->bb, f, (apr_off_t)offset, (apr_off_t)length, r->pool);
    for (e = APR_BRIGADE_FIRST(o->bb); e != APR_BRIGADE_SENTINEL(o->bb); e = APR_BUCKET_NEXT(e))
        if (APR_BUCKET_IS_FILE(e))
            apr_bucket_file_enable_mmap(e, 0);
    APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_flush_create(r->connection->bucket_alloc));
    res = pass_brigade(o, r);
    req_leave(o);
    return res;
}

static PyObject *req_abort(PyObject *self, PyObject *noargs)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    conn_rec *c;
    PyObject *res;
    request_rec *r = req_enter(o);
    if (!r)
        return NULL;
    if (o->ended) {
        req_leave(o);
        Py_RETURN_FALSE;
    }
    o->ended = 1;
    c = r->connection;
    /* A response already under way cannot become an error page: end it as broken, so that the
     * chunked encoding gets no last chunk and the connection closes (the client sees a cut
     * response, never a silently short 200). */
    r->no_cache = 1;
    c->keepalive = AP_CONN_CLOSE;
    if (!c->aborted)
        APR_BRIGADE_INSERT_TAIL(o->bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, r->pool,
                                                              c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_eos_create(c->bucket_alloc));
    res = pass_brigade(o, r);
    req_leave(o);
    return res;
}

/* The arguments of a log(level, text) call: the text as UTF-8 bytes whatever it holds (lone
 * surrogates backslash-escaped; logging stops at a NUL), so that logging a traceback or a line of
 * wsgi.errors never raises.  NULL with an exception for arguments of the wrong type only. */
PyObject *wx_log_args(PyObject *args, int *level)
{
    PyObject *text;
    if (!PyArg_ParseTuple(args, "iU", level, &text))
        return NULL;
    *level &= APLOG_LEVELMASK;
    return PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace");
}

PyObject *wx_log_request(request_rec *r, PyObject *args)
{
    int level;
    PyObject *text;
    if (!(text = wx_log_args(args, &level)))
        return NULL;
    ap_log_rerror(APLOG_MARK, level, 0, r, "%s", PyBytes_AS_STRING(text));
    Py_DECREF(text);
    Py_RETURN_NONE;
}

static PyObject *req_log(PyObject *self, PyObject *args)
{
    wx_RequestObject *o = (wx_RequestObject *)self;
    PyObject *res;
    request_rec *r = req_enter(o);
    if (!r)
        return NULL;
    res = wx_log_request(r, args);
    req_leave(o);
    return res;
}

/* The getters read plain fields with the GIL held: r cannot end meanwhile, since
 * wx_request_invalidate() clears it with the GIL held. */
#define REQ(self) request_rec *r = ((wx_RequestObject *)(self))->r; if (!r) return wx_request_ended()

static PyObject *req_get_aborted(PyObject *self, void *closure)
{
    REQ(self);
    return PyBool_FromLong(r->connection->aborted);
}

static PyObject *req_get_header_only(PyObject *self, void *closure)
{
    REQ(self);
    return PyBool_FromLong(r->header_only);
}

static PyObject *req_get_started(PyObject *self, void *closure)
{
    return PyBool_FromLong(((wx_RequestObject *)self)->started);
}

static PyObject *req_get_alive(PyObject *self, void *closure)
{
    return PyBool_FromLong(((wx_RequestObject *)self)->r != NULL);
}

static PyMethodDef req_methods[] = {
    {"read", req_read, METH_VARARGS, "read(n=-1) -> bytes of the request body"},
    {"start", req_start, METH_VARARGS,
     "start(status, reason, headers): set the response head (once: later calls change nothing)"},
    {"write", req_write, METH_VARARGS, "write(data, flush=False) -> False once the client is gone"},
    {"sendfile", req_sendfile, METH_VARARGS, "sendfile(fd, offset, length) -> bool"},
    {"abort", req_abort, METH_NOARGS, "end a started response as broken and close the connection"},
    {"log", req_log, METH_VARARGS, "log(level, text) to the error log for this request"},
    {NULL}
};

static PyGetSetDef req_getset[] = {
    {"aborted", req_get_aborted, NULL, "the client connection is gone", NULL},
    {"started", req_get_started, NULL, "the response head was handed to Apache", NULL},
    {"header_only", req_get_header_only, NULL, "a HEAD request: the body is never sent", NULL},
    {"alive", req_get_alive, NULL, "the Apache request is still running", NULL},
    {NULL}
};

static void req_dealloc(PyObject *self)
{
    /* nobody holds the lock: every call holds a reference to the object while it runs */
    pthread_mutex_destroy(&((wx_RequestObject *)self)->lock);
    Py_TYPE(self)->tp_free(self);
}

PyTypeObject wx_RequestType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.Request",
    .tp_basicsize = sizeof(wx_RequestObject),
    .tp_dealloc = req_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The Apache request a WSGI application is answering (internal).",
    .tp_methods = req_methods,
    .tp_getset = req_getset,
};

/* Once per child, in the main interpreter before any request: the static types every
 * interpreter shares, and the constants of the environ.  -1 with a Python error on failure. */
int wx_request_type_ready(void)
{
    if (PyType_Ready(&wx_RequestType) < 0 || wx_auth_type_ready() < 0)
        return -1;
    return wx_environ_ready();
}

PyObject *wx_request_new(request_rec *r)
{
    wx_RequestObject *o = PyObject_New(wx_RequestObject, &wx_RequestType);
    if (!o)
        return NULL;
    if (pthread_mutex_init(&o->lock, NULL) != 0) {
        PyObject_Free(o);
        return PyErr_NoMemory();
    }
    o->owner = 0;
    o->r = r;
    o->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    o->read_eof = 0;
    o->started = 0;
    o->ended = 0;
    return (PyObject *)o;
}

/* The handler's Python call failed, or answered an error status, after the response was started:
 * an error page now would be appended to what was sent (a 200 body followed by a 500 page).  End
 * the response as broken instead, as abort() does.  1 when it was started (and is now ended). */
int wx_request_end_broken(PyObject *req)
{
    wx_RequestObject *o = (wx_RequestObject *)req;
    PyObject *res;
    if (!o->r || !o->started)
        return 0;
    res = req_abort(req, NULL);
    if (!res)
        PyErr_Clear();
    Py_XDECREF(res);
    return 1;
}

/* The handler is about to return: wait (GIL released) until no other thread is inside Apache
 * for this request, then make every later call raise RuntimeError.  Called with the GIL held by
 * the handler's thread, outside any call on the object. */
void wx_request_invalidate(PyObject *req)
{
    wx_RequestObject *o = (wx_RequestObject *)req;
    if (!o->r)
        return;
    if (pthread_mutex_trylock(&o->lock) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&o->lock);
        Py_END_ALLOW_THREADS
    }
    o->r = NULL;
    o->bb = NULL;
    pthread_mutex_unlock(&o->lock);
}

/* ------------------------------------------------------------------ module */

static PyObject *mod_log_error(PyObject *self, PyObject *args)
{
    int level;
    PyObject *text;
    if (!(text = wx_log_args(args, &level)))
        return NULL;
    ap_log_error(APLOG_MARK, level, 0, ap_server_conf, "%s", PyBytes_AS_STRING(text));
    Py_DECREF(text);
    Py_RETURN_NONE;
}

static PyObject *mod_scoreboard(PyObject *self, PyObject *unused)
{
    return wx_scoreboard();
}

static PyMethodDef mod_methods[] = {
    {"log_error", mod_log_error, METH_VARARGS, "log_error(level, text) to the server error log"},
    {"scoreboard", mod_scoreboard, METH_NOARGS, "Apache's scoreboard (WSGIServerMetrics)"},
    {NULL}
};

static struct PyModuleDef wx_apache_def = {
    PyModuleDef_HEAD_INIT, "mod_wsgi_ext._apache",
    "Apache as seen from inside an Apache child (created by the C side in each interpreter).",
    -1, mod_methods
};

PyObject *wx_apache_module_new(void)
{
    PyObject *m = PyModule_Create(&wx_apache_def);
    int threaded = 0, max_daemons = 0, max_threads = 0;
    wx_server_config *sc = ap_get_module_config(ap_server_conf->module_config, &wsgi_ext_module);
    if (!m)
        return NULL;
    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &max_daemons);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &max_threads);
    if (PyModule_AddObjectRef(m, "Request", (PyObject *)&wx_RequestType) < 0
        || PyModule_AddIntConstant(m, "threaded", threaded != AP_MPMQ_NOT_SUPPORTED) < 0
        || PyModule_AddIntConstant(m, "max_daemons", max_daemons) < 0
        || PyModule_AddIntConstant(m, "max_threads", max_threads > 0 ? max_threads : 1) < 0
        || PyModule_AddStringConstant(m, "mpm", ap_show_mpm()) < 0
        || PyModule_AddStringConstant(m, "server_version", ap_get_server_banner()) < 0
        || PyModule_AddStringConstant(m, "server_description", ap_get_server_description()) < 0
        || PyModule_AddStringConstant(m, "build_date", ap_get_server_built()) < 0
        || PyModule_AddIntConstant(m, "restrict_stdin", sc->iv[WX_SS_RESTRICT_STDIN] == 1) < 0
        || PyModule_AddIntConstant(m, "restrict_stdout", sc->iv[WX_SS_RESTRICT_STDOUT] == 1) < 0
        || PyModule_AddIntConstant(m, "server_metrics", sc->iv[WX_SS_SERVER_METRICS] == 1) < 0
        || PyModule_AddIntConstant(m, "verbose_debugging",
                                   sc->iv[WX_SS_VERBOSE_DEBUGGING] == 1) < 0
        || PyModule_AddIntConstant(m, "APLOG_CRIT", APLOG_CRIT) < 0
        || PyModule_AddIntConstant(m, "APLOG_ERR", APLOG_ERR) < 0
        || PyModule_AddIntConstant(m, "APLOG_WARNING", APLOG_WARNING) < 0
        || PyModule_AddIntConstant(m, "APLOG_NOTICE", APLOG_NOTICE) < 0
        || PyModule_AddIntConstant(m, "APLOG_INFO", APLOG_INFO) < 0
        || PyModule_AddIntConstant(m, "APLOG_DEBUG", APLOG_DEBUG) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* authreq.c -- mod_wsgi_ext._apache.AuthRequest: what an auth script's call holds of its request.
 *
 * auth.c makes one per call of runtime/authscripts.py and invalidates it when the call returns
 * (its methods then raise, as the content request object's do).  It gives authscripts the
 * request's error log (log) and mod_ssl's look-ups (ssl_is_https, ssl_var_lookup, which auth.c
 * also puts in the environ as mod_ssl.is_https and mod_ssl.var_lookup), and it is the environ's
 * wsgi.errors itself: write/writelines/flush/isatty/closed, text to the error log a line at a
 * time, an unfinished line logged by flush or when the call ends.
 */
#include "wx.h"
#include "http_ssl.h"

/* ------------------------------------------------------------------ AuthRequest */

/* Also the scripts' wsgi.errors (a file-like object made per call in Python was about a tenth
 * of the bridge's cost): text written to it goes to the request's error log, a line at a time;
 * call_end logs an unfinished last line. */
typedef struct {
    PyObject_HEAD
    request_rec *r;
    PyObject *pending;      /* str: the unfinished line written to wsgi.errors, or NULL */
} wx_AuthObject;

#define AUTHREQ(self) request_rec *r = ((wx_AuthObject *)(self))->r; if (!r) return wx_request_ended()

static PyObject *auth_log(PyObject *self, PyObject *args)
{
    AUTHREQ(self);
    return wx_log_request(r, args);
}

static PyObject *auth_ssl_is_https(PyObject *self, PyObject *noargs)
{
    AUTHREQ(self);
    return PyLong_FromLong(ap_ssl_conn_is_ssl(r->connection) ? 1 : 0);
}

static PyObject *auth_ssl_var_lookup(PyObject *self, PyObject *arg)
{
    PyObject *name = NULL;
    const char *value;
    AUTHREQ(self);
    if (PyUnicode_Check(arg)) {
        name = PyUnicode_AsLatin1String(arg);
        if (!name)
            return NULL;
    }
    else if (PyBytes_Check(arg)) {
        name = arg;
        Py_INCREF(name);
    }
    else {
        PyErr_Format(PyExc_TypeError, "byte string value expected, value of type %.200s found",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    value = ap_ssl_var_lookup(r->pool, r->server, r->connection, r, PyBytes_AS_STRING(name));
    Py_DECREF(name);
    if (!value)
        Py_RETURN_NONE;
    return PyUnicode_DecodeLatin1(value, strlen(value), NULL);
}

static int log_line(request_rec *r, PyObject *line)
{
    PyObject *text = PyUnicode_AsEncodedString(line, "utf-8", "backslashreplace");
    if (!text)
        return -1;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s", PyBytes_AS_STRING(text));
    Py_DECREF(text);
    return 0;
}

static PyObject *auth_write(PyObject *self, PyObject *arg)
{
    wx_AuthObject *a = (wx_AuthObject *)self;
    PyObject *buf, *nl, *lines = NULL, *last;
    Py_ssize_t i, n, written;
    AUTHREQ(self);
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "wsgi.errors.write() takes str, not %.200s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    written = PyUnicode_GET_LENGTH(arg);
    if (a->pending)
        buf = PyUnicode_Concat(a->pending, arg);
    else {
        buf = arg;
        Py_INCREF(buf);
    }
    if (!buf)
        return NULL;
    Py_CLEAR(a->pending);
    if (PyUnicode_FindChar(buf, '\n', 0, PyUnicode_GET_LENGTH(buf), 1) == -1) {
        a->pending = buf;
        return PyLong_FromSsize_t(written);
    }
    if ((nl = PyUnicode_FromOrdinal('\n'))) {
        lines = PyUnicode_Split(buf, nl, -1);
        Py_DECREF(nl);
    }
    Py_DECREF(buf);
    if (!lines)
        return NULL;
    n = PyList_GET_SIZE(lines);
    for (i = 0; i < n - 1; i++) {
        if (log_line(r, PyList_GET_ITEM(lines, i)) < 0) {
            Py_DECREF(lines);
            return NULL;
        }
    }
    last = PyList_GET_ITEM(lines, n - 1);
    if (PyUnicode_GET_LENGTH(last)) {
        Py_INCREF(last);
        a->pending = last;
    }
    Py_DECREF(lines);
    return PyLong_FromSsize_t(written);
}

static PyObject *auth_writelines(PyObject *self, PyObject *seq)
{
    PyObject *it = PyObject_GetIter(seq), *item, *res;
    if (!it)
        return NULL;
    while ((item = PyIter_Next(it))) {
        res = auth_write(self, item);
        Py_DECREF(item);
        if (!res) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(res);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* the unfinished line, if any, to the log; -1 with a Python error set */
static int flush_pending(wx_AuthObject *a)
{
    PyObject *line = a->pending;
    int rc;
    if (!line || !a->r)
        return 0;
    a->pending = NULL;
    rc = log_line(a->r, line);
    Py_DECREF(line);
    return rc;
}

static PyObject *auth_flush(PyObject *self, PyObject *noargs)
{
    AUTHREQ(self);
    (void)r;
    if (flush_pending((wx_AuthObject *)self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *auth_isatty(PyObject *self, PyObject *noargs)
{
    Py_RETURN_FALSE;
}

static PyObject *auth_get_closed(PyObject *self, void *closure)
{
    Py_RETURN_FALSE;
}

static void auth_dealloc(PyObject *self)
{
    Py_CLEAR(((wx_AuthObject *)self)->pending);
    PyObject_Free(self);
}

static PyGetSetDef auth_getset[] = {
    {"closed", auth_get_closed, NULL, "False: wsgi.errors is never closed", NULL},
    {NULL}
};

static PyMethodDef auth_methods[] = {
    {"log", auth_log, METH_VARARGS, "log(level, text) to the error log for this request"},
    {"ssl_is_https", auth_ssl_is_https, METH_NOARGS, "1 when the connection uses SSL, else 0"},
    {"ssl_var_lookup", auth_ssl_var_lookup, METH_O, "a mod_ssl variable as str, or None"},
    {"write", auth_write, METH_O, "wsgi.errors: text to the error log, a line at a time"},
    {"writelines", auth_writelines, METH_O, "wsgi.errors: write() each item"},
    {"flush", auth_flush, METH_NOARGS, "wsgi.errors: log an unfinished line"},
    {"isatty", auth_isatty, METH_NOARGS, "wsgi.errors: False"},
    {NULL}
};

static PyTypeObject wx_AuthType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.AuthRequest",
    .tp_basicsize = sizeof(wx_AuthObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The request an auth script is asked about (internal; valid during the call).",
    .tp_methods = auth_methods,
    .tp_getset = auth_getset,
    .tp_dealloc = auth_dealloc,
};

/* with wx_request_type_ready(), in the main interpreter at start-up (the type is shared by all) */
int wx_auth_type_ready(void)
{
    return PyType_Ready(&wx_AuthType);
}

/* phase_table.c -- PhaseTable: one of a phase request's headers_in, headers_out, err_headers_out,
 * notes and subprocess_env, as a case-insensitive multi-valued mapping straight over the
 * apr_table_t (item access, get, getall, add and the primitives of wsgi_phases.tables.Table; the
 * per-interpreter Python subclass of runtime/phase_request.py adds the rest of that protocol).
 * Usable while its request runs, in the request's thread only; keys and values written are
 * latin-1 str without CR, LF or NUL, copied into the request's pool.
 */
#include "wx.h"
#include "phases.h"

static apr_table_t *table_of(request_rec *r, int which)
{
    switch (which) {
    case 0: return r->headers_in;
    case 1: return r->headers_out;
    case 2: return r->err_headers_out;
    case 3: return r->notes;
    default: return r->subprocess_env;
    }
}

#define TABLE(self) \
    wx_PhaseTableObject *to = (wx_PhaseTableObject *)(self); \
    request_rec *r = to->req ? to->req->r : NULL; \
    apr_table_t *t; \
    if (!r || !apr_os_thread_equal(to->req->owner, apr_os_thread_current())) \
        return wx_phase_unusable(to->req); \
    t = table_of(r, to->which)

/* A key or value to write: latin-1 str without CR, LF or NUL, as a C string (ASCII text without
 * a copy; other text through *keep, which the caller releases).  NULL with an exception. */
static const char *table_text(PyObject *s, PyObject **keep, const char *what)
{
    const char *c;
    Py_ssize_t n;
    *keep = NULL;
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "table %s must be str, not %.100s", what,
                     Py_TYPE(s)->tp_name);
        return NULL;
    }
    if (PyUnicode_IS_ASCII(s))
        c = PyUnicode_AsUTF8AndSize(s, &n);
    else {
        if (!(*keep = PyUnicode_AsLatin1String(s))) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "table %s must be latin-1 text: %R", what, s);
            return NULL;
        }
        c = PyBytes_AS_STRING(*keep);
        n = PyBytes_GET_SIZE(*keep);
    }
    if (c && (memchr(c, '\r', n) || memchr(c, '\n', n) || memchr(c, '\0', n))) {
        Py_CLEAR(*keep);
        PyErr_Format(PyExc_ValueError, "table %s must not contain CR, LF or NUL: %R", what, s);
        return NULL;
    }
    return c;
}

/* the first value of key, or NULL (no exception) when there is none; -1 in *err on error */
static PyObject *table_lookup(wx_PhaseTableObject *to, request_rec *r, apr_table_t *t,
                              PyObject *key, int *err)
{
    PyObject *keep;
    const char *k = table_text(key, &keep, "key"), *v;
    *err = !k;
    if (!k)
        return NULL;
    v = apr_table_get(t, k);
    Py_XDECREF(keep);
    return v ? wx_latin1_or_none(v) : NULL;
}

static PyObject *ptab_subscript(PyObject *self, PyObject *key)
{
    PyObject *v;
    int err;
    TABLE(self);
    v = table_lookup(to, r, t, key, &err);
    if (!v && !err && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, key);
    return v;
}

static PyObject *ptab_get(PyObject *self, PyObject *args)
{
    PyObject *key, *dflt = Py_None, *v;
    int err;
    TABLE(self);
    if (!PyArg_UnpackTuple(args, "get", 1, 2, &key, &dflt))
        return NULL;
    v = table_lookup(to, r, t, key, &err);
    if (!v && !err && !PyErr_Occurred()) {
        Py_INCREF(dflt);
        return dflt;
    }
    return v;
}

/* set (mode 0), add (1) or unset (2, value NULL) */
static int table_write(PyObject *self, PyObject *key, PyObject *value, int mode)
{
    PyObject *kk = NULL, *vk = NULL;
    const char *k, *v = NULL;
    wx_PhaseTableObject *to = (wx_PhaseTableObject *)self;
    request_rec *r = to->req ? to->req->r : NULL;
    apr_table_t *t;
    if (!r || !apr_os_thread_equal(to->req->owner, apr_os_thread_current())) {
        wx_phase_unusable(to->req);
        return -1;
    }
    t = table_of(r, to->which);
    if (!(k = table_text(key, &kk, "key")))
        return -1;
    if (mode != 2 && !(v = table_text(value, &vk, "value"))) {
        Py_XDECREF(kk);
        return -1;
    }
    if (mode == 0)
        apr_table_set(t, k, v);
    else if (mode == 1)
        apr_table_add(t, k, v);
    else
        apr_table_unset(t, k);
    Py_XDECREF(kk);
    Py_XDECREF(vk);
    return 0;
}

static int ptab_ass_subscript(PyObject *self, PyObject *key, PyObject *value)
{
    if (!value) {       /* del t[key]: KeyError when it is not there */
        PyObject *v;
        int err;
        {
            wx_PhaseTableObject *to = (wx_PhaseTableObject *)self;
            request_rec *r = to->req ? to->req->r : NULL;
            if (!r || !apr_os_thread_equal(to->req->owner, apr_os_thread_current())) {
                wx_phase_unusable(to->req);
                return -1;
            }
            v = table_lookup(to, r, table_of(r, to->which), key, &err);
        }
        if (err)
            return -1;
        if (!v) {
            PyErr_SetObject(PyExc_KeyError, key);
            return -1;
        }
        Py_DECREF(v);
        return table_write(self, key, NULL, 2);
    }
    return table_write(self, key, value, 0);
}

static PyObject *ptab_set(PyObject *self, PyObject *args)
{
    PyObject *k, *v;
    if (!PyArg_UnpackTuple(args, "_set", 2, 2, &k, &v) || table_write(self, k, v, 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *ptab_add(PyObject *self, PyObject *args)
{
    PyObject *k, *v;
    if (!PyArg_UnpackTuple(args, "add", 2, 2, &k, &v) || table_write(self, k, v, 1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *ptab_unset(PyObject *self, PyObject *key)
{
    if (table_write(self, key, NULL, 2) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *ptab_get1(PyObject *self, PyObject *key)
{
    PyObject *v;
    int err;
    TABLE(self);
    v = table_lookup(to, r, t, key, &err);
    if (!v && !err && !PyErr_Occurred())
        Py_RETURN_NONE;
    return v;
}

static int collect(void *list, const char *key, const char *value)
{
    PyObject *v = wx_latin1_or_none(value);
    if (!v || PyList_Append(list, v) < 0) {
        Py_XDECREF(v);
        return 0;
    }
    Py_DECREF(v);
    return 1;
}

static PyObject *ptab_getall(PyObject *self, PyObject *key)
{
    PyObject *keep, *list;
    const char *k;
    TABLE(self);
    if (!(k = table_text(key, &keep, "key")) || !(list = PyList_New(0))) {
        Py_XDECREF(keep);
        return NULL;
    }
    apr_table_do(collect, list, t, k, NULL);
    Py_XDECREF(keep);
    if (PyErr_Occurred()) {
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

static PyObject *ptab_pairs(PyObject *self, PyObject *noargs)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    PyObject *list;
    int i;
    TABLE(self);
    if (!(list = PyList_New(0)))
        return NULL;
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        PyObject *pair;
        if (!e[i].key || !e[i].val)
            continue;
        pair = Py_BuildValue("(NN)", wx_latin1_or_none(e[i].key), wx_latin1_or_none(e[i].val));
        if (!pair || PyList_Append(list, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(pair);
    }
    return list;
}

static int ptab_contains(PyObject *self, PyObject *key)
{
    wx_PhaseTableObject *to = (wx_PhaseTableObject *)self;
    request_rec *r = to->req ? to->req->r : NULL;
    PyObject *v;
    int err;
    if (!PyUnicode_Check(key))
        return 0;
    if (!r || !apr_os_thread_equal(to->req->owner, apr_os_thread_current())) {
        wx_phase_unusable(to->req);
        return -1;
    }
    v = table_lookup(to, r, table_of(r, to->which), key, &err);
    if (err) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {   /* not a possible key: not in it */
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    Py_XDECREF(v);
    return v != NULL;
}

static void ptab_dealloc(PyObject *self)
{
    Py_CLEAR(((wx_PhaseTableObject *)self)->req);
    Py_TYPE(self)->tp_free(self);
}

static PyMethodDef ptab_methods[] = {
    {"get", ptab_get, METH_VARARGS, "get(key, default=None): the first value of key"},
    {"getall", ptab_getall, METH_O, "every value of key, in order (a list)"},
    {"add", ptab_add, METH_VARARGS, "add(key, value): append a value, keeping the others"},
    {"_get", ptab_get1, METH_O, NULL},
    {"_getall", ptab_getall, METH_O, NULL},
    {"_set", ptab_set, METH_VARARGS, NULL},
    {"_add", ptab_add, METH_VARARGS, NULL},
    {"_unset", ptab_unset, METH_O, NULL},
    {"_pairs", ptab_pairs, METH_NOARGS, NULL},
    {NULL}
};

static PyMappingMethods ptab_mapping = {
    .mp_subscript = ptab_subscript,
    .mp_ass_subscript = ptab_ass_subscript,
};

static PySequenceMethods ptab_sequence = {
    .sq_contains = ptab_contains,
};

PyTypeObject wx_PhaseTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.PhaseTable",
    .tp_basicsize = sizeof(wx_PhaseTableObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "One of the request's apr tables (subclassed in runtime/phase_request.py).",
    .tp_dealloc = ptab_dealloc,
    .tp_methods = ptab_methods,
    .tp_as_mapping = &ptab_mapping,
    .tp_as_sequence = &ptab_sequence,
};

PyObject *wx_phase_table_get(PyObject *self, void *closure)
{
    wx_PhaseReqObject *o = (wx_PhaseReqObject *)self;
    int which = (int)(intptr_t)closure;
    wx_PhaseTableObject *to;
    PREQ(self);
    (void)r;
    if (!o->tables[which]) {
        if (!(to = (wx_PhaseTableObject *)o->table_cls->tp_alloc(o->table_cls, 0)))
            return NULL;
        Py_INCREF(self);
        to->req = o;
        to->which = which;
        o->tables[which] = (PyObject *)to;
    }
    Py_INCREF(o->tables[which]);
    return o->tables[which];
}



/* environ.c -- the WSGI environ of a request, built in C (CPython C API).
 *
 * wx_build_environ() makes the environ dict from Apache's request data in the interpreter the
 * handler entered (the keys are listed in docs/embedded-mode.md); wx_environ_ready() sets up, once
 * per child, what every environ shares.  Building it in C measured much faster than in Python.
 */
#include "wx.h"

/* what the MPM says about this child; it does not change while the child runs */
static int wx_mpm_threaded, wx_mpm_max_daemons;
static PyObject *wx_static_version, *wx_apache_version;   /* shared by every environ */

/* Once per child, in the main interpreter before any request.  -1 with a Python error. */
int wx_environ_ready(void)
{
    ap_mpm_query(AP_MPMQ_IS_THREADED, &wx_mpm_threaded);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &wx_mpm_max_daemons);
    wx_static_version = Py_BuildValue("(ii)", 1, 0);
    wx_apache_version = Py_BuildValue("(iii)", AP_SERVER_MAJORVERSION_NUMBER,
                                      AP_SERVER_MINORVERSION_NUMBER, AP_SERVER_PATCHLEVEL_NUMBER);
    return wx_static_version && wx_apache_version ? 0 : -1;
}

/* Environ keys: one str per key text per interpreter, made on first use and reused.  Making,
 * hashing and freeing a fresh str for each of the ~40 keys of every request was about half the cost
 * of the environ, and PyDict_SetItemString is worse still: it interns each key, adding it to and
 * (when the environ is freed) removing it from the interned-string table (callgrind, hello world).
 * Header-derived names are chosen by clients, so a cache stops growing at WX_ENV_KEYS_MAX and
 * further keys are made per request.  Only touched with the GIL held. */
#define WX_ENV_KEYS_MAX 512

/* the keys wx_build_environ names itself, made when the cache is: looked up by index, not text */
enum { E_HTTP_AUTHORIZATION, E_SERVER_PROTOCOL, E_REQUEST_METHOD, E_QUERY_STRING, E_REQUEST_URI,
       E_SCRIPT_NAME, E_PATH_INFO, E_WSGI_VERSION, E_URL_SCHEME, E_MULTITHREAD, E_MULTIPROCESS,
       E_RUN_ONCE, E_INPUT_TERMINATED, E_PROCESS_GROUP, E_APPLICATION_GROUP, E_CALLABLE_OBJECT,
       E_SCRIPT_RELOADING, E_REQUEST_ID, E_REQUEST_START, E_APACHE_VERSION, WX_E_N };
static const char *const wx_env_fixed_names[WX_E_N] = {
    "HTTP_AUTHORIZATION", "SERVER_PROTOCOL", "REQUEST_METHOD", "QUERY_STRING", "REQUEST_URI",
    "SCRIPT_NAME", "PATH_INFO", "wsgi.version", "wsgi.url_scheme", "wsgi.multithread",
    "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated", "mod_wsgi.process_group",
    "mod_wsgi.application_group", "mod_wsgi.callable_object", "mod_wsgi.script_reloading",
    "mod_wsgi.request_id", "mod_wsgi.request_start", "apache.version"
};

typedef struct wx_env_keys {
    int64_t interp_id;
    apr_hash_t *map;                    /* key text -> str (a reference held by the cache) */
    PyObject *fixed[WX_E_N];            /* NULL when they could not be made: by text then */
    /* Most keys of r->subprocess_env are the same string literals request after request: a
     * slot per pointer (checked with strcmp: a pool may hand out the same address for other text)
     * finds their str without hashing the text (about 200 instructions a key). */
    struct { const char *seen; const char *text; PyObject *key; } ptr[64];
    /* the str of the value a key had last time (ASCII, short), reused when the text is equal:
     * most values (server name, port, protocol, method, groups...) repeat from request to request */
    PyObject *val[64], *fval[WX_E_N];
    struct wx_env_keys *next;
} wx_env_keys;

static apr_pool_t *wx_env_keys_pool;
static wx_env_keys *wx_env_keys_list;

static wx_env_keys *env_keys(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    wx_env_keys *kc;
    int i;
    for (kc = wx_env_keys_list; kc; kc = kc->next)
        if (kc->interp_id == id)
            return kc;
    if (id < 0 || (!wx_env_keys_pool && apr_pool_create(&wx_env_keys_pool, NULL) != APR_SUCCESS)) {
        PyErr_Clear();
        return NULL;                    /* no cache: keys are made per request */
    }
    kc = apr_pcalloc(wx_env_keys_pool, sizeof(*kc));
    kc->interp_id = id;
    kc->map = apr_hash_make(wx_env_keys_pool);
    for (i = 0; i < WX_E_N; i++) {
        if (!(kc->fixed[i] = PyUnicode_InternFromString(wx_env_fixed_names[i]))) {
            PyErr_Clear();
            while (i--)
                Py_CLEAR(kc->fixed[i]);
            break;
        }
    }
    kc->next = wx_env_keys_list;
    wx_env_keys_list = kc;
    return kc;
}

static int set_obj(wx_env_keys *kc, PyObject *d, const char *key, PyObject *v)
{
    apr_ssize_t len;
    PyObject *k;
    int rc;
    unsigned slot = (unsigned)(((uintptr_t)key >> 3) ^ ((uintptr_t)key >> 9)) & 63;
    if (kc && kc->ptr[slot].seen == key && !strcmp(kc->ptr[slot].text, key))
        return PyDict_SetItem(d, kc->ptr[slot].key, v);
    len = strlen(key);
    k = kc ? apr_hash_get(kc->map, key, len) : NULL;
    if (k) {
        kc->ptr[slot].seen = key;
        kc->ptr[slot].text = PyUnicode_AsUTF8(k);   /* the str's own bytes: it lives on */
        kc->ptr[slot].key = k;
        if (!kc->ptr[slot].text) {
            PyErr_Clear();
            kc->ptr[slot].seen = NULL;
        }
        return PyDict_SetItem(d, k, v);
    }
    k = PyUnicode_FromStringAndSize(key, len);
    if (!k)
        return -1;
    rc = PyDict_SetItem(d, k, v);       /* also computes and caches the str's hash */
    if (rc == 0 && kc && apr_hash_count(kc->map) < WX_ENV_KEYS_MAX) {
        apr_hash_set(kc->map, apr_pstrmemdup(wx_env_keys_pool, key, len), len, k);
        return 0;                       /* the cache keeps our reference */
    }
    Py_DECREF(k);
    return rc;
}

/* a new reference to a str of val (latin-1), the one in *slot when its text is the same */
static PyObject *value_str(PyObject **slot, const char *val)
{
    PyObject *v = slot ? *slot : NULL;
    size_t n;
    if (v && !strcmp((const char *)PyUnicode_DATA(v), val)) {
        Py_INCREF(v);
        return v;
    }
    n = strlen(val);
    v = PyUnicode_DecodeLatin1(val, n, NULL);
    if (v && slot && n <= 256 && PyUnicode_IS_ASCII(v)) {   /* ASCII: DATA is the text + NUL */
        Py_INCREF(v);
        Py_XSETREF(*slot, v);
    }
    return v;
}

static int set_str(wx_env_keys *kc, PyObject *d, const char *key, const char *val)
{
    unsigned slot = (unsigned)(((uintptr_t)key >> 3) ^ ((uintptr_t)key >> 9)) & 63;
    PyObject *v = value_str(kc ? &kc->val[slot] : NULL, val);
    int rc = v ? set_obj(kc, d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* a fixed key: by index when the cache has it (id is the E_* index, name its text) */
static int fset_obj(wx_env_keys *kc, PyObject *d, int id, PyObject *v)
{
    if (kc && kc->fixed[id])
        return PyDict_SetItem(d, kc->fixed[id], v);
    return set_obj(kc, d, wx_env_fixed_names[id], v);
}

static int fset_str(wx_env_keys *kc, PyObject *d, int id, const char *val)
{
    PyObject *v = value_str(kc ? &kc->fval[id] : NULL, val);
    int rc = v ? fset_obj(kc, d, id, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* _PyDict_NewPresized is CPython's (exported, not in the limited API): an environ grown from empty
 * is resized four times */
static PyObject *wx_new_dict(Py_ssize_t n)
{
#if PY_VERSION_HEX < 0x030D0000
    return _PyDict_NewPresized(n);
#else
    (void)n;
    return PyDict_New();
#endif
}

PyObject *wx_build_environ(request_rec *r, const char *script_name_override,
                           const char *process_group, const char *application_group,
                           const char *callable_object, int script_reloading,
                           int pass_authorization, int map_head)
{
    const apr_array_header_t *arr = apr_table_elts(r->subprocess_env);
    PyObject *env = wx_new_dict(arr->nelts + WX_E_N + 8);
    wx_env_keys *kc = env_keys();
    const apr_table_entry_t *e;
    int i;
    const char *script_name;
    if (!env)
        return NULL;

    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !e[i].val)
            continue;
        if (set_str(kc, env, e[i].key, e[i].val) < 0)
            goto fail;
    }
    if (pass_authorization) {
        const char *auth = apr_table_get(r->headers_in, "Authorization");
        if (auth && fset_str(kc, env, E_HTTP_AUTHORIZATION, auth) < 0)
            goto fail;
    }

    /* CGI variables (as ap_add_cgi_vars, without its PATH_TRANSLATED sub-request and, like
     * mod_wsgi 6, without GATEWAY_INTERFACE: a WSGI environ is not CGI) */
    if (fset_str(kc, env, E_SERVER_PROTOCOL, r->protocol) < 0
        || fset_str(kc, env, E_REQUEST_METHOD,
                   map_head && r->header_only ? "GET" : r->method) < 0
        || fset_str(kc, env, E_QUERY_STRING, r->args ? r->args : "") < 0
        || fset_str(kc, env, E_REQUEST_URI, r->unparsed_uri) < 0)
        goto fail;
    if (script_name_override)
        script_name = script_name_override;
    else if (r->path_info && *r->path_info)
        script_name = apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info));
    else
        script_name = r->uri;
    if (fset_str(kc, env, E_SCRIPT_NAME, script_name) < 0
        || fset_str(kc, env, E_PATH_INFO, r->path_info ? r->path_info : "") < 0)
        goto fail;

    if (fset_obj(kc, env, E_WSGI_VERSION, wx_static_version) < 0
        || fset_str(kc, env, E_URL_SCHEME, ap_http_scheme(r)) < 0
        || fset_obj(kc, env, E_MULTITHREAD,
                   wx_mpm_threaded != AP_MPMQ_NOT_SUPPORTED ? Py_True : Py_False) < 0
        || fset_obj(kc, env, E_MULTIPROCESS, wx_mpm_max_daemons != 1 ? Py_True : Py_False) < 0
        || fset_obj(kc, env, E_RUN_ONCE, Py_False) < 0
        || fset_obj(kc, env, E_INPUT_TERMINATED, Py_True) < 0
        || fset_str(kc, env, E_PROCESS_GROUP, process_group) < 0
        || fset_str(kc, env, E_APPLICATION_GROUP, application_group) < 0
        || fset_str(kc, env, E_CALLABLE_OBJECT, callable_object) < 0
        || fset_str(kc, env, E_SCRIPT_RELOADING, script_reloading ? "1" : "0") < 0
        || fset_str(kc, env, E_REQUEST_ID, r->log_id ? r->log_id : "") < 0
        || fset_str(kc, env, E_REQUEST_START,
                   apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time)) < 0
        || fset_obj(kc, env, E_APACHE_VERSION, wx_apache_version) < 0)
        goto fail;
    return env;
fail:
    Py_DECREF(env);
    return NULL;
}

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
static PyObject *wx_mod_wsgi_version, *wx_zero_time;        /* mod_wsgi's extras */
static PyObject *wx_server_pid, *wx_empty;                  /* str: the Apache parent's pid, "" */
static apr_uint32_t wx_thread_count;                        /* mod_wsgi.thread_id: 1, 2, ... */
static __thread long wx_thread_id;

/* Once per child, in the main interpreter before any request.  -1 with a Python error. */
int wx_environ_ready(void)
{
    ap_mpm_query(AP_MPMQ_IS_THREADED, &wx_mpm_threaded);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &wx_mpm_max_daemons);
    wx_static_version = Py_BuildValue("(ii)", 1, 0);
    wx_apache_version = Py_BuildValue("(iii)", AP_SERVER_MAJORVERSION_NUMBER,
                                      AP_SERVER_MINORVERSION_NUMBER, AP_SERVER_PATCHLEVEL_NUMBER);
    wx_mod_wsgi_version = Py_BuildValue("(iii)", WX_MOD_WSGI_MAJOR, WX_MOD_WSGI_MINOR,
                                        WX_MOD_WSGI_MICRO);
    wx_zero_time = PyFloat_FromDouble(0.0);
    wx_server_pid = PyUnicode_FromFormat("%ld", (long)getppid());
    wx_empty = PyUnicode_FromStringAndSize("", 0);
    return wx_static_version && wx_apache_version && wx_mod_wsgi_version && wx_zero_time
           && wx_server_pid && wx_empty ? 0 : -1;
}

/* Environ keys: one str per key text per interpreter, made on first use and reused.  Making,
 * hashing and freeing a fresh str for each of the ~40 keys of every request was about half the cost
 * of the environ, and PyDict_SetItemString is worse still: it interns each key, adding it to and
 * (when the environ is freed) removing it from the interned-string table (callgrind, hello world).
 * Header-derived names are chosen by clients, so a cache stops growing at WX_ENV_KEYS_MAX and
 * further keys are made per request.  Only touched with the GIL held. */
#define WX_ENV_KEYS_MAX 512

typedef struct wx_env_keys {
    int64_t interp_id;
    apr_hash_t *map;                    /* key text -> str (a reference held by the cache) */
    /* The key texts are mostly the same pointers request after request (string literals, here
     * and in ap_add_common_vars): a slot per pointer, checked with strcmp since a pool may hand
     * out the same address for other text, finds the str without hashing the text (about 200
     * instructions a key). */
    struct { const char *seen; const char *text; PyObject *key; } ptr[64];
    /* the str of the value last set through each slot (ASCII, short), reused when the text is
     * equal: most values (server name, port, protocol, method, groups...) repeat */
    PyObject *val[64];
    struct wx_env_keys *next;
} wx_env_keys;

static apr_pool_t *wx_env_keys_pool;
static wx_env_keys *wx_env_keys_list;

static wx_env_keys *env_keys(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    wx_env_keys *kc;
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
    kc->next = wx_env_keys_list;
    wx_env_keys_list = kc;
    return kc;
}

#define WX_KEY_SLOT(key) ((unsigned)(((uintptr_t)(key) >> 3) ^ ((uintptr_t)(key) >> 9)) & 63)

static int set_obj(wx_env_keys *kc, PyObject *d, const char *key, PyObject *v)
{
    apr_ssize_t len;
    PyObject *k;
    int rc;
    unsigned slot = WX_KEY_SLOT(key);
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
    PyObject *v = value_str(kc ? &kc->val[WX_KEY_SLOT(key)] : NULL, val);
    int rc = v ? set_obj(kc, d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

static int set_new(wx_env_keys *kc, PyObject *d, const char *key, PyObject *v)
{
    int rc = v ? set_obj(kc, d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

/* The URI in r's request line (r->the_request, which internal redirects and subrequests keep
 * from the request the client sent): its start, and its length in *len. */
static const char *request_line_uri(request_rec *r, apr_size_t *len)
{
    const char *start = r->the_request, *end;
    if (!start) {
        *len = 0;
        return "";
    }
    while (*start && !apr_isspace(*start))
        start++;
    while (apr_isspace(*start))
        start++;
    for (end = start; *end && !apr_isspace(*end); end++)
        ;
    *len = end - start;
    return start;
}

/* REQUEST_URI as CGI gives it (for auth.c's environ): a copy in r->pool */
const char *wx_original_uri(request_rec *r)
{
    apr_size_t len;
    const char *start = request_line_uri(r, &len);
    return apr_pstrmemdup(r->pool, start, len);
}

/* mod_wsgi 6's environ extras (docs/embedded-mode.md).  The str objects shared by every environ
 * are immutable and made once per child, like wsgi.version; mod_wsgi.script_name/path_info are
 * the SCRIPT_NAME/PATH_INFO objects set above, that is before any trusted proxy header rewrites
 * them. */
static int set_extras(wx_env_keys *kc, PyObject *env, request_rec *r, PyObject *script_name,
                      PyObject *path_info, int have_handler_script)
{
    apr_sockaddr_t *local = r->connection->local_addr;
    char port[16];
    if (!wx_thread_id)
        wx_thread_id = (long)apr_atomic_inc32(&wx_thread_count) + 1;
    apr_snprintf(port, sizeof(port), "%d", local ? (int)local->port : 0);
    return set_obj(kc, env, "mod_wsgi.version", wx_mod_wsgi_version) < 0
        || set_new(kc, env, "mod_wsgi.thread_id", PyLong_FromLong(wx_thread_id)) < 0
        || set_obj(kc, env, "mod_wsgi.server_pid", wx_server_pid) < 0
        || set_str(kc, env, "mod_wsgi.listener_host",
                   local && local->hostname ? local->hostname : "") < 0
        || set_str(kc, env, "mod_wsgi.listener_port", port) < 0
        || set_obj(kc, env, "mod_wsgi.script_name", script_name) < 0
        || set_obj(kc, env, "mod_wsgi.path_info", path_info) < 0
        || (!have_handler_script && set_obj(kc, env, "mod_wsgi.handler_script", wx_empty) < 0)
        || set_str(kc, env, "mod_wsgi.request_handler", r->handler ? r->handler : "") < 0
        || set_new(kc, env, "mod_wsgi.request_start",
                   PyFloat_FromDouble(apr_time_sec((double)r->request_time))) < 0
        || set_obj(kc, env, "mod_wsgi.queue_start", wx_zero_time) < 0
        || set_obj(kc, env, "mod_wsgi.daemon_start", wx_zero_time) < 0
        || set_new(kc, env, "mod_wsgi.application_start",
                   PyFloat_FromDouble(apr_time_sec((double)apr_time_now()))) < 0 ? -1 : 0;
}

PyObject *wx_build_environ(request_rec *r, const char *script_name_override,
                           const char *process_group, const char *application_group,
                           const char *callable_object, int script_reloading,
                           int pass_authorization, int map_head)
{
    /* sized for the usual ~55 keys, so that filling it never resizes it (a resize was about 5% of
     * a hello-world request) */
    PyObject *env = _PyDict_NewPresized(64);
    wx_env_keys *kc = env_keys();
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    int i, have_handler_script = 0;
    const char *script_name;
    PyObject *sn, *pi;
    if (!env)
        return NULL;

    arr = apr_table_elts(r->subprocess_env);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !e[i].val)
            continue;
        if (set_str(kc, env, e[i].key, e[i].val) < 0)
            goto fail;
        if (e[i].key[0] == 'm' && !strcmp(e[i].key, "mod_wsgi.handler_script"))
            have_handler_script = 1;
    }
    if (pass_authorization) {
        const char *auth = apr_table_get(r->headers_in, "Authorization");
        if (auth && set_str(kc, env, "HTTP_AUTHORIZATION", auth) < 0)
            goto fail;
    }

    /* CGI variables (as ap_add_cgi_vars, without its PATH_TRANSLATED sub-request and, like
     * mod_wsgi 6, without GATEWAY_INTERFACE: a WSGI environ is not CGI) */
    if (set_str(kc, env, "SERVER_PROTOCOL", r->protocol) < 0
        || set_str(kc, env, "REQUEST_METHOD",
                   map_head && r->header_only ? "GET" : r->method) < 0
        || set_str(kc, env, "QUERY_STRING", r->args ? r->args : "") < 0)
        goto fail;
    /* the URI of the request line, as CGI and mod_wsgi give it: after an internal redirect
     * (ErrorDocument, whose pages show and log it), a fast one (DirectoryIndex) and in a
     * subrequest (mod_include), all of which keep the request line */
    {
        apr_size_t len;
        const char *uri = request_line_uri(r, &len);
        if (set_new(kc, env, "REQUEST_URI", PyUnicode_DecodeLatin1(uri, len, NULL)) < 0)
            goto fail;
    }
    if (script_name_override)
        script_name = script_name_override;
    else if (r->path_info && *r->path_info)
        script_name = apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info));
    else
        script_name = r->uri;
    sn = PyUnicode_DecodeLatin1(script_name, strlen(script_name), NULL);
    pi = r->path_info ? PyUnicode_DecodeLatin1(r->path_info, strlen(r->path_info), NULL) : wx_empty;
    if (pi == wx_empty)
        Py_INCREF(pi);
    if (!sn || !pi || set_obj(kc, env, "SCRIPT_NAME", sn) < 0
        || set_obj(kc, env, "PATH_INFO", pi) < 0
        || set_extras(kc, env, r, sn, pi, have_handler_script) < 0) {
        Py_XDECREF(sn);
        Py_XDECREF(pi);
        goto fail;
    }
    Py_DECREF(sn);
    Py_DECREF(pi);

    if (set_obj(kc, env, "wsgi.version", wx_static_version) < 0
        || set_str(kc, env, "wsgi.url_scheme", ap_http_scheme(r)) < 0
        || set_obj(kc, env, "wsgi.multithread",
                   wx_mpm_threaded != AP_MPMQ_NOT_SUPPORTED ? Py_True : Py_False) < 0
        || set_obj(kc, env, "wsgi.multiprocess", wx_mpm_max_daemons != 1 ? Py_True : Py_False) < 0
        || set_obj(kc, env, "wsgi.run_once", Py_False) < 0
        || set_obj(kc, env, "wsgi.input_terminated", Py_True) < 0
        || set_str(kc, env, "mod_wsgi.process_group", process_group) < 0
        || set_str(kc, env, "mod_wsgi.application_group", application_group) < 0
        || set_str(kc, env, "mod_wsgi.callable_object", callable_object) < 0
        || set_str(kc, env, "mod_wsgi.script_reloading", script_reloading ? "1" : "0") < 0
        || set_str(kc, env, "mod_wsgi.request_id", r->log_id ? r->log_id : "") < 0
        || set_obj(kc, env, "apache.version", wx_apache_version) < 0)
        goto fail;
    return env;
fail:
    Py_DECREF(env);
    return NULL;
}


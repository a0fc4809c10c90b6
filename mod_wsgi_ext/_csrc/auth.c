/* auth.c -- mod_wsgi-compatible auth scripts: the plumbing between Apache's auth phases and
 * mod_wsgi_ext/runtime/authscripts.py, which loads the scripts and gives their return values
 * meaning.
 *
 *   authn provider "wsgi"        (WSGIAuthUserScript)  check_password / get_realm_hash, for
 *                                AuthBasicProvider, AuthFormProvider and AuthDigestProvider
 *   authz provider "wsgi-group"  (WSGIAuthGroupScript) Require wsgi-group NAME...
 *   access checker               (WSGIAccessScript)    allow_access(environ, host)
 *
 * Each call runs in the Apache child, in the script's application group (default %{GLOBAL}),
 * whatever process group serves the content.  This file builds mod_wsgi's cut-down environ (no
 * Authorization, no wsgi.input, no REMOTE_USER), hands it with a short-lived AuthRequest
 * (authreq.c: error log, mod_ssl look-ups, the environ's wsgi.errors) to Python, and maps the
 * answer to Apache's status codes.  What every call needs and need not make again (authscripts'
 * functions, the environ's keys) is kept per interpreter.  When Python is
 * not available in this process, or the interpreter cannot be entered, the answer is a 500 with a
 * log line saying why.
 */
#include "wx.h"
#include "mod_auth.h"
#include "ap_provider.h"

/* authscripts.py answers with these numbers */
_Static_assert(AUTH_DENIED == 0 && AUTH_GRANTED == 1 && AUTH_USER_FOUND == 2
               && AUTH_USER_NOT_FOUND == 3 && AUTH_GENERAL_ERROR == 4, "authn_status changed");
_Static_assert(AUTHZ_DENIED == 0 && AUTHZ_GRANTED == 1 && AUTHZ_NEUTRAL == 2
               && AUTHZ_GENERAL_ERROR == 3 && AUTHZ_DENIED_NO_USER == 4, "authz_status changed");

#define WX_AUTHSCRIPTS "mod_wsgi_ext.runtime.authscripts"

/* ------------------------------------------------------------------ per-interpreter cache */

/* What every call in an interpreter needs and need not make again: authscripts' four entry points
 * (importing the module per call was about 10,000 instructions of a Basic auth request) and the
 * environ's fixed keys (made, hashed and freed per call otherwise).  Only touched with the GIL
 * held; an interpreter lives as long as the process, so the references are never dropped. */
enum { WX_F_CHECK_PASSWORD, WX_F_GET_REALM_HASH, WX_F_GROUPS_FOR_USER, WX_F_ALLOW_ACCESS, WX_F_N };
static const char *const wx_auth_func_names[WX_F_N] = {
    "check_password", "get_realm_hash", "groups_for_user", "allow_access"
};

enum { K_CONTENT_TYPE, K_CONTENT_LENGTH, K_SERVER_SIGNATURE, K_SERVER_SOFTWARE, K_SERVER_NAME,
       K_SERVER_ADDR, K_SERVER_PORT, K_REMOTE_HOST, K_REMOTE_ADDR, K_DOCUMENT_ROOT,
       K_SERVER_ADMIN, K_REMOTE_PORT, K_SERVER_PROTOCOL, K_REQUEST_METHOD, K_QUERY_STRING,
       K_REQUEST_URI, K_SCRIPT_NAME, K_PATH_INFO, K_APACHE_VERSION, K_PROCESS_GROUP,
       K_APPLICATION_GROUP, K_WSGI_ERRORS, K_SSL_IS_HTTPS, K_SSL_VAR_LOOKUP, K_ATTR_IS_HTTPS,
       K_ATTR_VAR_LOOKUP, WX_K_N };
static const char *const wx_auth_key_names[WX_K_N] = {
    "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_SIGNATURE", "SERVER_SOFTWARE", "SERVER_NAME",
    "SERVER_ADDR", "SERVER_PORT", "REMOTE_HOST", "REMOTE_ADDR", "DOCUMENT_ROOT",
    "SERVER_ADMIN", "REMOTE_PORT", "SERVER_PROTOCOL", "REQUEST_METHOD", "QUERY_STRING",
    "REQUEST_URI", "SCRIPT_NAME", "PATH_INFO", "apache.version", "mod_wsgi.process_group",
    "mod_wsgi.application_group", "wsgi.errors", "mod_ssl.is_https", "mod_ssl.var_lookup",
    "ssl_is_https", "ssl_var_lookup"
};

typedef struct wx_auth_cache {
    int64_t interp_id;
    PyObject *f[WX_F_N];        /* NULL until authscripts imported (retried while it fails) */
    PyObject *k[WX_K_N];
    PyObject *v[WX_K_N];        /* each key's last value, reused when equal (request.c's value_str) */
    struct wx_auth_cache *next;
} wx_auth_cache;

static wx_auth_cache *wx_auth_caches;

/* this interpreter's cache, or NULL with a Python error set */
static wx_auth_cache *auth_cache(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    wx_auth_cache *ac;
    int i;
    for (ac = wx_auth_caches; ac; ac = ac->next)
        if (ac->interp_id == id)
            return ac;
    if (id < 0)
        return NULL;
    if (!(ac = calloc(1, sizeof(*ac)))) {
        PyErr_NoMemory();
        return NULL;
    }
    for (i = 0; i < WX_K_N; i++) {
        if (!(ac->k[i] = PyUnicode_InternFromString(wx_auth_key_names[i]))) {
            while (i--)
                Py_DECREF(ac->k[i]);
            free(ac);
            return NULL;
        }
    }
    ac->interp_id = id;
    ac->next = wx_auth_caches;
    wx_auth_caches = ac;
    return ac;
}

/* a borrowed reference to an authscripts function, or NULL with a Python error set */
static PyObject *auth_func(wx_auth_cache *ac, int which)
{
    PyObject *mod;
    PyObject *f[WX_F_N];
    int i;
    if (ac->f[which])
        return ac->f[which];
    if (!(mod = PyImport_ImportModule(WX_AUTHSCRIPTS)))
        return NULL;
    for (i = 0; i < WX_F_N; i++) {
        if (!(f[i] = PyObject_GetAttrString(mod, wx_auth_func_names[i]))) {
            while (i--)
                Py_DECREF(f[i]);
            Py_DECREF(mod);
            return NULL;            /* not kept: the next call tries again, and logs again */
        }
    }
    Py_DECREF(mod);
    memcpy(ac->f, f, sizeof(f));
    return ac->f[which];
}

/* ------------------------------------------------------------------ environ */

/* The fixed keys come from the cache above, header-derived ones from request.c's per-interpreter
 * key cache (env_keys/set_str, same translation unit): PyDict_SetItemString would intern every key
 * of every call, and freeing the environ would take each out of the interned-string table again. */
static int putk(wx_auth_cache *ac, PyObject *d, int key, const char *val)
{
    PyObject *v = value_str(&ac->v[key], val);
    int rc = v ? PyDict_SetItem(d, ac->k[key], v) : -1;
    Py_XDECREF(v);
    return rc;
}
#define put(d, key, val) putk(ac, (d), K_##key, (val))
/* "HTTP_" + the header name upper-cased with '-' as '_'; NULL for names with other characters */
static const char *header_key(apr_pool_t *p, const char *name)
{
    char *key = apr_palloc(p, strlen(name) + 6), *k = key + 5;
    memcpy(key, "HTTP_", 5);
    for (; *name; name++) {
        if (apr_isalnum(*name))
            *k++ = apr_toupper(*name);
        else if (*name == '-')
            *k++ = '_';
        else
            return NULL;
    }
    *k = '\0';
    return key;
}

/* _PyDict_NewPresized is CPython's (exported, not in the limited API): fall back to PyDict_New
 * where it is not there */
static PyObject *new_dict(Py_ssize_t n)
{
#if PY_VERSION_HEX < 0x030D0000
    return _PyDict_NewPresized(n);
#else
    (void)n;
    return PyDict_New();
#endif
}

/* mod_wsgi's environ for auth scripts: request headers and CGI variables only, wsgi.errors (auth
 * itself) and the mod_ssl look-ups; authscripts adds mod_wsgi.version.  remote_host was looked up
 * before the GIL was taken (HostnameLookups On makes that a DNS query). */
static PyObject *auth_environ(request_rec *r, const char *group, const char *remote_host,
                              wx_auth_cache *ac, PyObject *auth)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    /* sized for everything at once: grown from empty it would be resized three times */
    PyObject *env = new_dict(arr->nelts + WX_K_N + 4), *v;
    wx_env_keys *kc = env_keys();
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *val;
    int i;
    if (!env)
        return NULL;
    for (i = 0; i < arr->nelts; i++) {
        const char *key;
        int rc;
        if (!e[i].key || !e[i].val)
            continue;
        if (!strcasecmp(e[i].key, "Content-Type"))
            rc = put(env, CONTENT_TYPE, e[i].val);
        else if (!strcasecmp(e[i].key, "Content-Length"))
            rc = put(env, CONTENT_LENGTH, e[i].val);
        else if (!strcasecmp(e[i].key, "Authorization")
                 || !strcasecmp(e[i].key, "Proxy-Authorization"))
            continue;
        else if (!(key = header_key(r->pool, e[i].key)))
            continue;
        else
            rc = set_str(kc, env, key, e[i].val);
        if (rc < 0)
            goto fail;
    }
    if ((val = ap_psignature("", r)) && put(env, SERVER_SIGNATURE, val) < 0)
        goto fail;
    if ((val = ap_get_server_banner()) && put(env, SERVER_SOFTWARE, val) < 0)
        goto fail;
    if (put(env, SERVER_NAME, ap_escape_html(r->pool, ap_get_server_name(r))) < 0)
        goto fail;
    if (r->connection->local_ip && put(env, SERVER_ADDR, r->connection->local_ip) < 0)
        goto fail;
    if (put(env, SERVER_PORT, apr_psprintf(r->pool, "%u", ap_get_server_port(r))) < 0)
        goto fail;
    if (remote_host && put(env, REMOTE_HOST, remote_host) < 0)
        goto fail;
    if (r->useragent_ip && put(env, REMOTE_ADDR, r->useragent_ip) < 0)
        goto fail;
    if ((val = ap_document_root(r))) {
        v = PyUnicode_DecodeFSDefault(val);
        if (!v) {
            PyErr_Clear();
            v = PyUnicode_DecodeLatin1(val, strlen(val), NULL);
        }
        if (!v || PyDict_SetItem(env, ac->k[K_DOCUMENT_ROOT], v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    if (r->server->server_admin && put(env, SERVER_ADMIN, r->server->server_admin) < 0)
        goto fail;
    if (put(env, REMOTE_PORT, apr_itoa(r->pool, r->connection->client_addr->port)) < 0
        || put(env, SERVER_PROTOCOL, r->protocol) < 0
        || put(env, REQUEST_METHOD, r->method) < 0
        || put(env, QUERY_STRING, r->args ? r->args : "") < 0
        || put(env, REQUEST_URI, wx_original_uri(r)) < 0)
        goto fail;
    if (!strcmp(r->protocol, "INCLUDED") || !r->path_info || !*r->path_info) {
        val = r->uri;
    }
    else {
        val = apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info));
    }
    if (put(env, SCRIPT_NAME, val) < 0
        || put(env, PATH_INFO, r->path_info ? r->path_info : "") < 0)
        goto fail;
    if (PyDict_SetItem(env, ac->k[K_APACHE_VERSION], wx_apache_version) < 0
        || put(env, PROCESS_GROUP, "") < 0
        || put(env, APPLICATION_GROUP, group) < 0
        || PyDict_SetItem(env, ac->k[K_WSGI_ERRORS], auth) < 0)
        goto fail;
    /* mod_ssl.is_https() and mod_ssl.var_lookup(name), as mod_wsgi: bound methods of auth */
    if (!(v = PyObject_GetAttr(auth, ac->k[K_ATTR_IS_HTTPS]))
        || PyDict_SetItem(env, ac->k[K_SSL_IS_HTTPS], v) < 0) {
        Py_XDECREF(v);
        goto fail;
    }
    Py_DECREF(v);
    if (!(v = PyObject_GetAttr(auth, ac->k[K_ATTR_VAR_LOOKUP]))
        || PyDict_SetItem(env, ac->k[K_SSL_VAR_LOOKUP], v) < 0) {
        Py_XDECREF(v);
        goto fail;
    }
    Py_DECREF(v);
    return env;
fail:
    Py_DECREF(env);
    return NULL;
}

/* ------------------------------------------------------------------ calling Python */

typedef struct {
    request_rec *r;
    const wx_mount *script;
    const char *group;
    int reloading;
    wx_entered st;
    PyObject *auth;     /* wx_AuthObject */
    PyObject *env;
    wx_auth_cache *cache;
} wx_auth_call;

static const wx_mount *script_for(request_rec *r, int slot, int *reloading)
{
    wx_dir_config *dc = ap_get_module_config(r->per_dir_config, &wsgi_ext_module);
    *reloading = dc->iv[WX_DS_SCRIPT_RELOADING] != 0;
    return dc->mv[slot];
}

/* Enter the script's interpreter and prepare the arguments.  0 when entered; -1 when Python
 * cannot be used for this request (logged, not entered). */
static int call_begin(wx_auth_call *c, request_rec *r, const wx_mount *script, int reloading,
                      const char *directive)
{
    const char *spec = script->application_group, *err = NULL, *remote_host;
    c->r = r;
    c->script = script;
    c->reloading = reloading;
    c->auth = c->env = NULL;
    if (wx_python_failure) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the %s '%s': %s",
                      directive, script->path, wx_python_failure);
        return -1;
    }
    /* as mod_wsgi: the main interpreter unless named; %{RESOURCE} has no script to name here */
    if (!spec)
        c->group = "";
    else
        c->group = wx_resolve_app_group(r, strcmp(spec, "%{RESOURCE}") ? spec : "%{SERVER}",
                                        r->uri);
    /* before the GIL: with HostnameLookups On/Double this is a DNS query, during which every
     * other Python thread of the process would wait (Apache caches the answer per connection) */
    remote_host = ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST, NULL);
    if (!wx_enter(c->group, &c->st, r->pool, &err)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: cannot run the %s '%s': %s",
                      directive, script->path, err ? err : "cannot enter the interpreter");
        return -1;
    }
    if (!(c->cache = auth_cache()))
        goto failed;
    c->auth = (PyObject *)PyObject_New(wx_AuthObject, &wx_AuthType);
    if (!c->auth)
        goto failed;
    ((wx_AuthObject *)c->auth)->r = r;
    ((wx_AuthObject *)c->auth)->pending = NULL;
    c->env = auth_environ(r, c->group, remote_host, c->cache, c->auth);
    if (!c->env)
        goto failed;
    return 0;
failed:
    wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: preparing the call of the "
                                              "%s '%s' failed", directive, script->path));
    if (c->auth)
        ((wx_AuthObject *)c->auth)->r = NULL;
    Py_CLEAR(c->auth);
    Py_CLEAR(c->env);
    wx_leave(&c->st);
    return -1;
}

/* The script's modification time in µs when reloading is on (-1 when it cannot be read: the
 * loader then stats it and reports why); -1 when off, where a loaded script is not looked at. */
static PyObject *script_mtime(wx_auth_call *c)
{
    apr_finfo_t fi;
    if (c->reloading && apr_stat(&fi, c->script->path, APR_FINFO_MTIME, c->r->pool) == APR_SUCCESS)
        return PyLong_FromLongLong((long long)fi.mtime);
    return PyLong_FromLong(-1);
}

/* authscripts.<func>(auth, environ, script, reloading, group, mtime, a[, b]); a and b are
 * stolen.  Returns a new reference, or NULL with the Python error logged. */
static PyObject *call_python(wx_auth_call *c, int which, PyObject *a, PyObject *b, int nextra)
{
    PyObject *f, *path = NULL, *group = NULL, *mtime = NULL, *res = NULL;
    if (!a || (nextra == 2 && !b))
        goto done;
    f = auth_func(c->cache, which);
    path = f ? PyUnicode_DecodeFSDefault(c->script->path) : NULL;
    group = path ? PyUnicode_DecodeLatin1(c->group, strlen(c->group), NULL) : NULL;
    mtime = group ? script_mtime(c) : NULL;
    if (mtime) {
        PyObject *args[8] = {c->auth, c->env, path, c->reloading ? Py_True : Py_False, group,
                             mtime, a, b};
        res = PyObject_Vectorcall(f, args, 6 + nextra, NULL);
    }
done:
    if (!res)
        wx_log_python_error(c->r, NULL, apr_psprintf(c->r->pool, "mod_wsgi_ext: exception in "
                                                     "%s.%s for '%s'", WX_AUTHSCRIPTS,
                                                     wx_auth_func_names[which], c->script->path));
    Py_XDECREF(path); Py_XDECREF(group); Py_XDECREF(mtime); Py_XDECREF(a); Py_XDECREF(b);
    return res;
}

static void call_end(wx_auth_call *c)
{
    if (flush_pending((wx_AuthObject *)c->auth) < 0)
        PyErr_Clear();
    ((wx_AuthObject *)c->auth)->r = NULL;
    Py_CLEAR(c->auth);
    Py_CLEAR(c->env);
    wx_leave(&c->st);
}

static PyObject *auth_str(const char *text)
{
    return PyUnicode_DecodeLatin1(text, strlen(text), NULL);
}

/* (status, bytes-or-None) from authscripts -> status, and a pool copy of the bytes */
static int unpack(request_rec *r, PyObject *res, int error, const char **value)
{
    long status;
    PyObject *v;
    *value = NULL;
    if (!res)
        return error;
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2) {
        Py_DECREF(res);
        return error;
    }
    status = PyLong_AsLong(PyTuple_GET_ITEM(res, 0));
    if (status == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        status = error;
    }
    v = PyTuple_GET_ITEM(res, 1);
    if (PyBytes_Check(v))
        *value = apr_pstrdup(r->pool, PyBytes_AS_STRING(v));
    Py_DECREF(res);
    return (int)status;
}

/* ------------------------------------------------------------------ authn provider "wsgi" */

static authn_status wx_check_password(request_rec *r, const char *user, const char *password)
{
    wx_auth_call c;
    const wx_mount *script;
    const char *name;
    int reloading, status;
    script = script_for(r, WX_DS_AUTH_USER_SCRIPT, &reloading);
    if (!script && wx_phase_authn(r, 0, user, password, &status, &name)) {
        if (status == AUTH_GRANTED && name)     /* a WSGIPhaseScript's check_password */
            r->user = (char *)name;
        return status;
    }
    if (!script) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: AuthBasicProvider or "
                      "AuthFormProvider wsgi is used for %s, but no WSGIAuthUserScript applies",
                      r->uri);
        return AUTH_GENERAL_ERROR;
    }
    if (call_begin(&c, r, script, reloading, "WSGIAuthUserScript") < 0)
        return AUTH_GENERAL_ERROR;
    status = unpack(r, call_python(&c, WX_F_CHECK_PASSWORD, auth_str(user), auth_str(password), 2),
                    AUTH_GENERAL_ERROR, &name);
    call_end(&c);
    if (status == AUTH_GRANTED && name)
        r->user = (char *)name;
    return status;
}

static authn_status wx_get_realm_hash(request_rec *r, const char *user, const char *realm,
                                      char **rethash)
{
    wx_auth_call c;
    const wx_mount *script;
    const char *hash;
    int reloading, status;
    script = script_for(r, WX_DS_AUTH_USER_SCRIPT, &reloading);
    if (!script && wx_phase_authn(r, 1, user, realm, &status, &hash)) {
        if (status == AUTH_USER_FOUND) {        /* a WSGIPhaseScript's get_realm_hash */
            if (!hash)
                return AUTH_GENERAL_ERROR;
            *rethash = (char *)hash;
        }
        return status;
    }
    if (!script) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: AuthDigestProvider wsgi is used "
                      "for %s, but no WSGIAuthUserScript applies", r->uri);
        return AUTH_GENERAL_ERROR;
    }
    if (call_begin(&c, r, script, reloading, "WSGIAuthUserScript") < 0)
        return AUTH_GENERAL_ERROR;
    status = unpack(r, call_python(&c, WX_F_GET_REALM_HASH, auth_str(user), auth_str(realm), 2),
                    AUTH_GENERAL_ERROR, &hash);
    call_end(&c);
    if (status == AUTH_USER_FOUND) {
        if (!hash)
            return AUTH_GENERAL_ERROR;
        *rethash = (char *)hash;
    }
    return status;
}

static const authn_provider wx_authn_provider = {
    &wx_check_password,
    &wx_get_realm_hash,
};

/* ------------------------------------------------------------------ authz "wsgi-group" */

static authz_status wx_check_groups(request_rec *r, const char *require_args,
                                    const void *parsed_require_line)
{
    wx_auth_call c;
    const wx_mount *script;
    const char *t = require_args, *w, *unused;
    PyObject *names;
    int reloading, status;
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    script = script_for(r, WX_DS_AUTH_GROUP_SCRIPT, &reloading);
    if (!script && wx_phase_groups(r, require_args, &status))
        return status;                          /* a WSGIPhaseScript's groups_for_user */
    if (!script) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: Require wsgi-group is used for "
                      "%s, but no WSGIAuthGroupScript applies", r->uri);
        return AUTHZ_DENIED;
    }
    if (call_begin(&c, r, script, reloading, "WSGIAuthGroupScript") < 0)
        return AUTHZ_GENERAL_ERROR;
    names = PyList_New(0);
    while (names && (w = ap_getword_conf(r->pool, &t)) && *w) {
        PyObject *b = PyBytes_FromString(w);
        if (!b || PyList_Append(names, b) < 0)
            Py_CLEAR(names);
        Py_XDECREF(b);
    }
    status = unpack(r, call_python(&c, WX_F_GROUPS_FOR_USER, auth_str(r->user), names, 2),
                    AUTHZ_GENERAL_ERROR, &unused);
    call_end(&c);
    return status;
}

static const authz_provider wx_authz_provider = {
    &wx_check_groups,
    NULL,
};

/* ------------------------------------------------------------------ access checker */

static int wx_access_checker(request_rec *r)
{
    wx_auth_call c;
    const wx_mount *script;
    const char *host, *unused;
    int reloading, allow;
    script = script_for(r, WX_DS_ACCESS_SCRIPT, &reloading);
    if (!script)
        return DECLINED;
    host = ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST, NULL);
    if (!host)
        host = r->useragent_ip;
    if (call_begin(&c, r, script, reloading, "WSGIAccessScript") < 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    allow = unpack(r, call_python(&c, WX_F_ALLOW_ACCESS, auth_str(host ? host : ""), NULL, 1), 0,
                   &unused);
    call_end(&c);
    if (allow < 0)
        return DECLINED;
    if (allow == 2)     /* allow_access raised: its traceback is logged */
        return HTTP_INTERNAL_SERVER_ERROR;
    if (allow > 0)
        return OK;
    if (ap_satisfies(r) != SATISFY_ANY || !ap_some_auth_required(r))
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: client denied by server "
                      "configuration (WSGIAccessScript): '%s'", r->filename);
    return HTTP_FORBIDDEN;
}

/* ------------------------------------------------------------------ registration */

void wx_auth_register_hooks(apr_pool_t *p)
{
    /* the access checker's place as mod_wsgi's: after mod_ssl, before mod_authz_host */
    static const char *const run_first[] = {"mod_ssl.c", NULL};
    static const char *const run_after[] = {"mod_authz_host.c", NULL};
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "wsgi", AUTHN_PROVIDER_VERSION,
                              &wx_authn_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "wsgi-group", AUTHZ_PROVIDER_VERSION,
                              &wx_authz_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_access(wx_access_checker, run_first, run_after, APR_HOOK_MIDDLE,
                         AP_AUTH_INTERNAL_PER_CONF);
}

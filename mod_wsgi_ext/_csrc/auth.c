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
 * Authorization, no wsgi.input, no REMOTE_USER), hands it with a short-lived AuthRequest (error
 * log, mod_ssl look-ups) to Python, and maps the answer to Apache's status codes.  When Python is
 * not available in this process, or the interpreter cannot be entered, the answer is a 500 with a
 * log line saying why.
 */
#include "wx.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "http_ssl.h"

/* authscripts.py answers with these numbers */
_Static_assert(AUTH_DENIED == 0 && AUTH_GRANTED == 1 && AUTH_USER_FOUND == 2
               && AUTH_USER_NOT_FOUND == 3 && AUTH_GENERAL_ERROR == 4, "authn_status changed");
_Static_assert(AUTHZ_DENIED == 0 && AUTHZ_GRANTED == 1 && AUTHZ_NEUTRAL == 2
               && AUTHZ_GENERAL_ERROR == 3 && AUTHZ_DENIED_NO_USER == 4, "authz_status changed");

#define WX_AUTHSCRIPTS "mod_wsgi_ext.runtime.authscripts"

/* ------------------------------------------------------------------ AuthRequest */

typedef struct {
    PyObject_HEAD
    request_rec *r;
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

static PyMethodDef auth_methods[] = {
    {"log", auth_log, METH_VARARGS, "log(level, text) to the error log for this request"},
    {"ssl_is_https", auth_ssl_is_https, METH_NOARGS, "1 when the connection uses SSL, else 0"},
    {"ssl_var_lookup", auth_ssl_var_lookup, METH_O, "a mod_ssl variable as str, or None"},
    {NULL}
};

static PyTypeObject wx_AuthType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mod_wsgi_ext._apache.AuthRequest",
    .tp_basicsize = sizeof(wx_AuthObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The request an auth script is asked about (internal; valid during the call).",
    .tp_methods = auth_methods,
};

/* with wx_request_type_ready(), in the main interpreter at start-up (the type is shared by all) */
int wx_auth_type_ready(void)
{
    return PyType_Ready(&wx_AuthType);
}

/* ------------------------------------------------------------------ environ */

static int put(PyObject *d, const char *key, const char *val)
{
    PyObject *v = PyUnicode_DecodeLatin1(val, strlen(val), NULL);
    int rc = v ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

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

/* the request line's URI, as the client sent it */
static const char *original_uri(request_rec *r)
{
    const char *start = r->the_request, *end;
    if (!start)
        return "";
    while (*start && !apr_isspace(*start)) start++;
    while (apr_isspace(*start)) start++;
    for (end = start; *end && !apr_isspace(*end); end++)
        ;
    return apr_pstrmemdup(r->pool, start, end - start);
}

/* mod_wsgi's environ for auth scripts: request headers and CGI variables only.  remote_host was
 * looked up before the GIL was taken (HostnameLookups On makes that a DNS query). */
static PyObject *auth_environ(request_rec *r, const char *group, const char *remote_host)
{
    PyObject *env = PyDict_New(), *v;
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *val;
    int i;
    if (!env)
        return NULL;
    for (i = 0; i < arr->nelts; i++) {
        const char *key;
        if (!e[i].key || !e[i].val)
            continue;
        if (!strcasecmp(e[i].key, "Content-Type"))
            key = "CONTENT_TYPE";
        else if (!strcasecmp(e[i].key, "Content-Length"))
            key = "CONTENT_LENGTH";
        else if (!strcasecmp(e[i].key, "Authorization")
                 || !strcasecmp(e[i].key, "Proxy-Authorization"))
            continue;
        else if (!(key = header_key(r->pool, e[i].key)))
            continue;
        if (put(env, key, e[i].val) < 0)
            goto fail;
    }
    if ((val = ap_psignature("", r)) && put(env, "SERVER_SIGNATURE", val) < 0)
        goto fail;
    if ((val = ap_get_server_banner()) && put(env, "SERVER_SOFTWARE", val) < 0)
        goto fail;
    if (put(env, "SERVER_NAME", ap_escape_html(r->pool, ap_get_server_name(r))) < 0)
        goto fail;
    if (r->connection->local_ip && put(env, "SERVER_ADDR", r->connection->local_ip) < 0)
        goto fail;
    if (put(env, "SERVER_PORT", apr_psprintf(r->pool, "%u", ap_get_server_port(r))) < 0)
        goto fail;
    if (remote_host && put(env, "REMOTE_HOST", remote_host) < 0)
        goto fail;
    if (r->useragent_ip && put(env, "REMOTE_ADDR", r->useragent_ip) < 0)
        goto fail;
    if ((val = ap_document_root(r))) {
        v = PyUnicode_DecodeFSDefault(val);
        if (!v) {
            PyErr_Clear();
            v = PyUnicode_DecodeLatin1(val, strlen(val), NULL);
        }
        if (!v || PyDict_SetItemString(env, "DOCUMENT_ROOT", v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    if (r->server->server_admin && put(env, "SERVER_ADMIN", r->server->server_admin) < 0)
        goto fail;
    if (put(env, "REMOTE_PORT", apr_itoa(r->pool, r->connection->client_addr->port)) < 0
        || put(env, "SERVER_PROTOCOL", r->protocol) < 0
        || put(env, "REQUEST_METHOD", r->method) < 0
        || put(env, "QUERY_STRING", r->args ? r->args : "") < 0
        || put(env, "REQUEST_URI", original_uri(r)) < 0)
        goto fail;
    if (!strcmp(r->protocol, "INCLUDED") || !r->path_info || !*r->path_info) {
        val = r->uri;
    }
    else {
        val = apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info));
    }
    if (put(env, "SCRIPT_NAME", val) < 0
        || put(env, "PATH_INFO", r->path_info ? r->path_info : "") < 0)
        goto fail;
    v = Py_BuildValue("(iii)", AP_SERVER_MAJORVERSION_NUMBER, AP_SERVER_MINORVERSION_NUMBER,
                      AP_SERVER_PATCHLEVEL_NUMBER);
    if (!v || PyDict_SetItemString(env, "apache.version", v) < 0) {
        Py_XDECREF(v);
        goto fail;
    }
    Py_DECREF(v);
    if (put(env, "mod_wsgi.process_group", "") < 0
        || put(env, "mod_wsgi.application_group", group) < 0)
        goto fail;
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
    c->auth = (PyObject *)PyObject_New(wx_AuthObject, &wx_AuthType);
    if (!c->auth)
        goto failed;
    ((wx_AuthObject *)c->auth)->r = r;
    c->env = auth_environ(r, c->group, remote_host);
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

/* authscripts.<func>(auth, environ, script, reloading, group, *extra); extra is stolen.  Returns
 * a new reference, or NULL with the Python error logged. */
static PyObject *call_python(wx_auth_call *c, const char *func, PyObject *extra)
{
    PyObject *mod = NULL, *f = NULL, *head = NULL, *args = NULL, *res = NULL;
    if (!extra)
        goto done;
    mod = PyImport_ImportModule(WX_AUTHSCRIPTS);
    f = mod ? PyObject_GetAttrString(mod, func) : NULL;
    head = f ? Py_BuildValue("(OOsis)", c->auth, c->env, c->script->path, c->reloading,
                             c->group) : NULL;
    args = head ? PySequence_Concat(head, extra) : NULL;
    res = args ? PyObject_Call(f, args, NULL) : NULL;
done:
    if (!res)
        wx_log_python_error(c->r, NULL, apr_psprintf(c->r->pool, "mod_wsgi_ext: exception in "
                                                     "%s.%s for '%s'", WX_AUTHSCRIPTS, func,
                                                     c->script->path));
    Py_XDECREF(mod); Py_XDECREF(f); Py_XDECREF(head); Py_XDECREF(args); Py_XDECREF(extra);
    return res;
}

static void call_end(wx_auth_call *c)
{
    ((wx_AuthObject *)c->auth)->r = NULL;
    Py_CLEAR(c->auth);
    Py_CLEAR(c->env);
    wx_leave(&c->st);
}

static PyObject *latin1_args(const char *a, const char *b)
{
    PyObject *sa = PyUnicode_DecodeLatin1(a, strlen(a), NULL);
    PyObject *sb = sa && b ? PyUnicode_DecodeLatin1(b, strlen(b), NULL) : NULL;
    PyObject *t = NULL;
    if (sa && (sb || !b))
        t = sb ? PyTuple_Pack(2, sa, sb) : PyTuple_Pack(1, sa);
    Py_XDECREF(sa);
    Py_XDECREF(sb);
    return t;
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
    status = unpack(r, call_python(&c, "check_password", latin1_args(user, password)),
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
    status = unpack(r, call_python(&c, "get_realm_hash", latin1_args(user, realm)),
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
    PyObject *names, *extra = NULL, *user;
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
    user = names ? PyUnicode_DecodeLatin1(r->user, strlen(r->user), NULL) : NULL;
    if (user)
        extra = PyTuple_Pack(2, user, names);
    Py_XDECREF(user);
    Py_XDECREF(names);
    status = unpack(r, call_python(&c, "groups_for_user", extra), AUTHZ_GENERAL_ERROR, &unused);
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
    allow = unpack(r, call_python(&c, "allow_access", latin1_args(host ? host : "", NULL)), 0,
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

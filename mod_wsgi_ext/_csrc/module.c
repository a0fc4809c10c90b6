/* module.c -- the Apache module: start-up checks, child start-up, URL mapping and the handler.
 *
 *   post_config   (parent, second pass only) refuse to start next to mod_wsgi/mod_python or when
 *                 the children's user cannot read the embedded Python (readable.c); warn about
 *                 directives that are accepted for compatibility only.
 *   child_init    start Python (interp.c) and preload scripts; not with WSGIRestrictEmbedded On.
 *   translate_name  WSGIScriptAlias / WSGIScriptAliasMatch (after mod_alias, so Alias wins).
 *   handler       wsgi-script, application/x-httpd-wsgi and WSGIHandlerScript names: build the
 *                 environ and call mod_wsgi_ext.runtime.embedded.handle() in the right interpreter,
 *                 or, for a daemon process group, hand the request to wx_daemon_forward()
 *                 (daemon_fwd.c).
 */
#include "wx.h"

#define WX_HANDLER "wsgi-script"
#define WX_MIME_HANDLER "application/x-httpd-wsgi"

typedef struct {
    const wx_mount *mount;
    const char *script_name;   /* set by WSGIScriptAliasMatch */
} wx_req_note;

void wx_log_server(int level, const char *msg)
{
    ap_log_error(APLOG_MARK, level, 0, ap_server_conf, "%s", msg);
}

/* ---------------------------------------------------------------- post_config */

static int wx_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    void *data = NULL;
    const char *key = "wsgi_ext_post_config";
    const char *conflicts[] = {"mod_wsgi.c", "mod_python.c", NULL};
    server_rec *vs;
    apr_hash_t *warned;
    int i;

    apr_pool_userdata_get(&data, key, s->process->pool);
    if (!data) {
        apr_pool_userdata_set((const void *)1, key, apr_pool_cleanup_null, s->process->pool);
        return OK;
    }
    for (i = 0; conflicts[i]; i++) {
        if (ap_find_linked_module(conflicts[i])) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         "mod_wsgi_ext: cannot run in the same server as %.*s (%s is loaded); "
                         "remove one of the two LoadModule lines", (int)(strlen(conflicts[i]) - 2),
                         conflicts[i], conflicts[i]);
            return !OK;
        }
    }
    if (wx_check_readable(ptemp, s) != OK)
        return !OK;
    warned = apr_hash_make(ptemp);    /* one warning per name, whatever the virtual hosts */
    for (vs = s; vs; vs = vs->next) {
        wx_server_config *sc = ap_get_module_config(vs->module_config, &wsgi_ext_module);
        for (i = 0; i < sc->compat->nelts; i++) {
            const char *name = ((const char **)sc->compat->elts)[i];
            if (apr_hash_get(warned, name, APR_HASH_KEY_STRING))
                continue;
            apr_hash_set(warned, name, APR_HASH_KEY_STRING, name);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "mod_wsgi_ext: %s is accepted for mod_wsgi compatibility; no effect",
                         name);
        }
    }
    for (vs = s; vs; vs = vs->next) {
        wx_server_config *sc = ap_get_module_config(vs->module_config, &wsgi_ext_module);
        for (i = 0; i < sc->imports->nelts; i++) {
            const wx_mount *m = &((wx_mount *)sc->imports->elts)[i];
            const char *g = m->application_group;
            if (!strncmp(g, "%{", 2) && strcmp(g, "%{GLOBAL}") && strcmp(g, "%{SERVER}"))
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                             "mod_wsgi_ext: WSGIImportScript %s: application-group=%s depends on "
                             "the request, so the script cannot be imported at start-up; name the "
                             "group instead", m->path, g);
        }
    }
    ap_add_version_component(pconf, "mod_wsgi_ext/" WX_VERSION);
    return OK;
}

/* ---------------------------------------------------------------- child start */

static void snapshot_environment(apr_pool_t *p);

static void wx_child_init(apr_pool_t *p, server_rec *s)
{
    wx_server_config *sc = ap_get_module_config(s->module_config, &wsgi_ext_module);
    snapshot_environment(p);
    if (sc->iv[WX_SS_RESTRICT_EMBEDDED] == 1 && !wx_child_scripts) {
        /* only daemon groups run applications, and no auth, access, dispatch or phase script
         * runs in the children: they need no Python (with such a script they start it, as
         * mod_wsgi does; WSGIRestrictEmbedded still refuses embedded applications) */
        wx_python_failure = "Python is not started in the Apache children (WSGIRestrictEmbedded "
                            "On)";
        return;
    }
    wx_start_python(p, s);
    wx_shutdown_init(s);
    wx_preload_scripts(p, s);
}

/* ---------------------------------------------------------------- URL mapping */

/* length of uri matched by alias prefix, mod_alias style (runs of '/' compare equal), or 0 */
static size_t prefix_match(const char *uri, const char *alias)
{
    const char *a = alias, *u = uri;
    while (*a) {
        if (*a == '/') {
            if (*u != '/')
                return 0;
            while (*a == '/') a++;
            while (*u == '/') u++;
        }
        else if (*u++ != *a++)
            return 0;
    }
    if (a[-1] != '/' && *u && *u != '/')
        return 0;
    return u - uri;
}

static int wx_translate(request_rec *r)
{
    wx_server_config *sc = ap_get_module_config(r->server->module_config, &wsgi_ext_module);
    int i;
    if (!sc->aliases->nelts || r->uri[0] != '/')
        return DECLINED;
    for (i = 0; i < sc->aliases->nelts; i++) {
        const wx_mount *m = &((wx_mount *)sc->aliases->elts)[i];
        const char *path;
        wx_req_note *note;
        size_t len;
        if (m->regex) {
            ap_regmatch_t rm[AP_MAX_REG_MATCH];
            if (ap_regexec(m->regex, r->uri, AP_MAX_REG_MATCH, rm, 0))
                continue;
            len = rm[0].rm_eo;
            path = ap_pregsub(r->pool, m->path, r->uri, AP_MAX_REG_MATCH, rm);
            if (!path)
                return HTTP_INTERNAL_SERVER_ERROR;
        }
        else {
            len = prefix_match(r->uri, m->location);
            if (!len)
                continue;
            if (!strcmp(m->location, "/"))
                len = 0;   /* mounted at the root: the whole URI becomes PATH_INFO */
            path = m->path;
        }
        note = apr_pcalloc(r->pool, sizeof(*note));
        note->mount = m;
        if (m->regex)
            note->script_name = apr_pstrndup(r->pool, r->uri, len);
        ap_set_module_config(r->request_config, &wsgi_ext_module, note);
        r->filename = apr_pstrcat(r->pool, path, r->uri + len, NULL);
        r->handler = WX_HANDLER;
        apr_table_setn(r->notes, "alias-forced-type", r->handler);
        return OK;
    }
    return DECLINED;
}

/* ---------------------------------------------------------------- handler */

/* The process environment as this child started (before Python, whose threads may change it:
 * glibc's getenv() is not safe against a concurrent setenv(), and an application's os.environ
 * must not choose interpreters). */
static apr_table_t *wx_start_env;

static void snapshot_environment(apr_pool_t *p)
{
    extern char **environ;
    char **e;
    wx_start_env = apr_table_make(p, 32);
    for (e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq)
            apr_table_set(wx_start_env, apr_pstrndup(p, *e, eq - *e), eq + 1);
    }
}

/* The value of %{ENV:name} for this request: a request note, then the request environment
 * (SetEnv, SetEnvIf, RewriteRule [E=]), then the process environment as the child started, as
 * mod_wsgi looks (it reads the live one with getenv()). */
static const char *env_value(request_rec *r, const char *spec)
{
    const char *name = apr_pstrndup(r->pool, spec + 6, strlen(spec) - 7), *v;
    v = apr_table_get(r->notes, name);
    if (!v)
        v = apr_table_get(r->subprocess_env, name);
    if (!v && wx_start_env)
        v = apr_table_get(wx_start_env, name);
    return v;
}

static int is_env_spec(const char *spec)
{
    return spec && !strncmp(spec, "%{ENV:", 6) && spec[strlen(spec) - 1] == '}';
}

static const char *with_port(request_rec *r, const char *host)
{
    apr_port_t port = ap_get_server_port(r);
    if (port != DEFAULT_HTTP_PORT && port != DEFAULT_HTTPS_PORT)
        return apr_psprintf(r->pool, "%s:%u", host, port);
    return host;
}

/* The interpreter name for an application group spec, as mod_wsgi names them: "" is the main
 * interpreter (%{GLOBAL}); %{RESOURCE} (the default) "host[:port]|SCRIPT_NAME"; %{SERVER}
 * "host[:port]" of the virtual host; %{HOST} the same from the Host header; %{ENV:var} the
 * variable's value (itself resolved when it is one of the %{...} forms), or the literal spec when
 * the variable is unset; anything else is a name. */
const char *wx_resolve_app_group(request_rec *r, const char *spec, const char *script_name)
{
    if (!spec || !strcmp(spec, "%{RESOURCE}")) {
        char *name = apr_pstrdup(r->pool, script_name ? script_name : r->uri);
        if (strstr(name, "//"))
            ap_no2slash(name);
        return apr_psprintf(r->pool, "%s|%s", with_port(r, r->server->server_hostname), name);
    }
    if (!strcmp(spec, "%{GLOBAL}"))
        return "";
    if (!strcmp(spec, "%{SERVER}"))
        return with_port(r, r->server->server_hostname);
    if (!strcmp(spec, "%{HOST}"))
        return with_port(r, r->hostname && *r->hostname ? r->hostname
                                                        : r->server->server_hostname);
    if (is_env_spec(spec)) {
        const char *v = env_value(r, spec);
        if (!v)
            return spec;
        if (v[0] == '%' && strncmp(v, "%{ENV:", 6))
            return wx_resolve_app_group(r, v, script_name);
        return v;
    }
    return spec;
}

/* WSGIProcessGroup / process-group=: "" for embedded mode, else a daemon group name. */
static const char *resolve_process_group(request_rec *r, const char *spec)
{
    if (is_env_spec(spec)) {
        const char *v = env_value(r, spec);
        spec = v ? v : spec;
    }
    if (!spec || !*spec || !strcmp(spec, "%{GLOBAL}"))
        return "";
    return spec;
}

/* WSGICallableObject / callable-object=: a name, or %{ENV:var} ("application" when unset). */
static const char *resolve_callable(request_rec *r, const char *spec)
{
    if (is_env_spec(spec)) {
        const char *v = env_value(r, spec);
        return v && *v ? v : "application";
    }
    return spec && *spec ? spec : "application";
}

static int fail(request_rec *r, int status, const char *msg)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_wsgi_ext: %s", msg);
    return status;
}

static int map_head_auto(request_rec *r)
{
    ap_filter_t *f;
    for (f = r->output_filters; f; f = f->next)
        if (f->frec->ftype < AP_FTYPE_PROTOCOL && f->frec->ftype >= AP_FTYPE_RESOURCE)
            return 1;
    return 0;
}

/* ap_add_common_vars() without what mod_wsgi 6 leaves out of the environ (PATH, the library
 * path, SERVER_SIGNATURE, REMOTE_HOST, REMOTE_IDENT); values set before (SetEnv) are kept. */
static void add_common_vars(request_rec *r)
{
    static const char *const omit[] = {"PATH", "LD_LIBRARY_PATH", "SERVER_SIGNATURE",
                                       "REMOTE_HOST", "REMOTE_IDENT", NULL};
    const char *before[sizeof(omit) / sizeof(omit[0])];
    int i;
    for (i = 0; omit[i]; i++)
        before[i] = apr_table_get(r->subprocess_env, omit[i]);
    ap_add_common_vars(r);
    for (i = 0; omit[i]; i++) {
        if (before[i])
            apr_table_setn(r->subprocess_env, omit[i], before[i]);
        else
            apr_table_unset(r->subprocess_env, omit[i]);
    }
}

static int wx_handler(request_rec *r)
{
    wx_dir_config *dc;
    wx_req_note *note;
    const wx_mount *m = NULL;
    const char *script, *pgroup, *agroup_spec, *agroup, *callable, *err = NULL;
    const char *script_name = NULL;
    int pass_auth, reloading, map_head, rc, status = OK, handler_script = 0;
    wx_entered st;
    wx_interp *ip;
    PyObject *env = NULL, *req = NULL, *res, *func, *pyscript = NULL, *preq = NULL;
    int preq_owned = 0;

    if (!r->handler)
        return DECLINED;
    dc = ap_get_module_config(r->per_dir_config, &wsgi_ext_module);
    if (strcmp(r->handler, WX_HANDLER) && strcmp(r->handler, WX_MIME_HANDLER)) {
        int i;
        if (!dc->handlers)
            return DECLINED;
        for (i = 0; i < dc->handlers->nelts; i++) {
            const wx_mount *h = &((wx_mount *)dc->handlers->elts)[i];
            if (!strcmp(h->location, r->handler)) {
                m = h;
                break;
            }
        }
        if (!m)
            return DECLINED;
        handler_script = 1;
    }
    note = ap_get_module_config(r->request_config, &wsgi_ext_module);
    if (note && !m) {
        m = note->mount;
        script_name = note->script_name;
    }

    if (handler_script) {
        script = m->path;
    }
    else {
        script = r->filename;
        if (r->finfo.filetype == APR_NOFILE)
            return fail(r, HTTP_NOT_FOUND, apr_psprintf(r->pool, "Target WSGI script not found or "
                                                        "unable to stat: %s", r->filename));
        if (r->finfo.filetype == APR_DIR)
            return fail(r, HTTP_FORBIDDEN, apr_psprintf(r->pool, "Attempt to invoke directory as "
                                                        "WSGI application: %s", r->filename));
        if (!note && !(ap_allow_options(r) & OPT_EXECCGI))
            return fail(r, HTTP_FORBIDDEN, apr_psprintf(r->pool, "Options ExecCGI is off in this "
                                                        "directory: %s", r->filename));
    }
    if (r->method_number == M_OPTIONS && r->uri[0] == '*')
        return DECLINED;
    if (r->used_path_info == AP_REQ_REJECT_PATH_INFO && r->path_info && *r->path_info)
        return fail(r, HTTP_NOT_FOUND, apr_psprintf(r->pool, "AcceptPathInfo Off disallows the "
                                                    "path after the script: %s", r->uri));

    pgroup = resolve_process_group(r, m && m->process_group ? m->process_group
                                                            : dc->sv[WX_DS_PROCESS_GROUP]);
    {
        wx_server_config *sc = ap_get_module_config(ap_server_conf->module_config,
                                                    &wsgi_ext_module);
        if (!*pgroup && sc->iv[WX_SS_RESTRICT_EMBEDDED] == 1)
            return fail(r, HTTP_INTERNAL_SERVER_ERROR,
                        apr_psprintf(r->pool, "Embedded mode of mod_wsgi_ext disabled by runtime "
                                     "configuration (WSGIRestrictEmbedded On): %s", script));
    }
    if (!*pgroup && wx_python_failure)
        return fail(r, HTTP_INTERNAL_SERVER_ERROR,
                    apr_psprintf(r->pool, "cannot serve %s: %s", script, wx_python_failure));

    /* a WSGIHandlerScript's callable is always handle_request, as in mod_wsgi */
    callable = handler_script ? "handle_request"
               : resolve_callable(r, m && m->callable_object ? m->callable_object
                                                             : dc->sv[WX_DS_CALLABLE_OBJECT]);
    pass_auth = m && m->pass_authorization != WX_UNSET ? m->pass_authorization
                : dc->iv[WX_DS_PASS_AUTHORIZATION] == 1;
    reloading = dc->iv[WX_DS_SCRIPT_RELOADING] != 0;
    map_head = dc->iv[WX_DS_MAP_HEAD_TO_GET] == WX_UNSET || dc->iv[WX_DS_MAP_HEAD_TO_GET] == 2
               ? map_head_auto(r) : dc->iv[WX_DS_MAP_HEAD_TO_GET];

    rc = ap_setup_client_block(r, dc->iv[WX_DS_CHUNKED_REQUEST] == 1 ? REQUEST_CHUNKED_DECHUNK
                                                                     : REQUEST_CHUNKED_ERROR);
    if (rc != OK)
        return rc;

    if (!r->log_id)
        ap_run_generate_log_id(r->connection, r, &r->log_id);

    add_common_vars(r);
    if (!script_name && r->path_info && *r->path_info)
        script_name = apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info));
    else if (!script_name)
        script_name = r->uri;
    if (handler_script)
        apr_table_setn(r->subprocess_env, "mod_wsgi.handler_script", script);
    if (!apr_table_get(r->subprocess_env, "SCRIPT_FILENAME"))
        apr_table_setn(r->subprocess_env, "SCRIPT_FILENAME", r->filename);

    agroup_spec = m && m->application_group ? m->application_group
                  : dc->sv[WX_DS_APPLICATION_GROUP];
    agroup = wx_resolve_app_group(r, agroup_spec, script_name);
    if (dc->mv[WX_DS_DISPATCH_SCRIPT]) {
        const char *chosen[3];
        if (wx_dispatch(r, dc->mv[WX_DS_DISPATCH_SCRIPT], script_name, reloading, map_head,
                        chosen) != OK)
            return HTTP_INTERNAL_SERVER_ERROR;
        if (chosen[0])
            pgroup = resolve_process_group(r, chosen[0]);
        if (chosen[1])
            agroup = wx_resolve_app_group(r, chosen[1], script_name);
        if (chosen[2] && !handler_script)
            callable = resolve_callable(r, chosen[2]);
    }
    if (*pgroup)    /* daemon mode: daemon_fwd.c */
        return wx_daemon_forward(r, pgroup, script, script_name, agroup, callable, reloading,
                                 pass_auth, map_head, dc->iv[WX_DS_ERROR_OVERRIDE] == 1,
                                 dc->sv[WX_DS_TRUSTED_PROXY_HEADERS], dc->sv[WX_DS_TRUSTED_PROXIES],
                                 !handler_script && r->finfo.filetype == APR_REG
                                 && (r->finfo.valid & APR_FINFO_MTIME)
                                 ? (long long)r->finfo.mtime : -1);

    {
        const wx_server_config *msc = ap_get_module_config(ap_server_conf->module_config,
                                                           &wsgi_ext_module);
        if (msc->iv[WX_SS_VERBOSE_DEBUGGING] == 1)      /* WSGIVerboseDebugging On */
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_wsgi_ext: %s runs in the %s%s%s in "
                          "embedded mode, callable '%s'", script,
                          *agroup ? "sub-interpreter '" : "main interpreter", agroup,
                          *agroup ? "'" : "", callable);
    }

    ip = wx_enter(agroup, &st, r->pool, &err);
    if (!ip)
        return fail(r, HTTP_INTERNAL_SERVER_ERROR, err ? err : "cannot enter the interpreter");

    env = wx_build_environ(r, script_name, "", agroup, callable, reloading, pass_auth, map_head);
    req = env ? wx_request_new(r) : NULL;
    if (req)    /* environ["wsgi_phases.request"]: Apache's request for the application */
        preq = wx_phase_request_for_app(r, agroup, env, &preq_owned);
    /* the file name as Python's os functions take it: a $N substitution may put any bytes in */
    pyscript = req ? PyUnicode_DecodeFSDefault(script) : NULL;
    func = pyscript ? wx_interp_func(ip, "handle") : NULL;
    res = NULL;
    if (func) {
        const char *proxies = dc->sv[WX_DS_TRUSTED_PROXIES];
        const char *headers = dc->sv[WX_DS_TRUSTED_PROXY_HEADERS];
        /* the script's mtime (µs) as Apache just found it, so that the loader need not stat it */
        long long mtime = !handler_script && r->finfo.filetype == APR_REG
                          && (r->finfo.valid & APR_FINFO_MTIME) ? (long long)r->finfo.mtime : -1;
        /* WSGIErrorOverride: daemon mode only, as in mod_wsgi.  A vector call: the format
         * string of PyObject_CallFunction is parsed on every request */
        PyObject *a[9] = {req, env, pyscript, PyUnicode_FromString(callable),
                          reloading ? Py_True : Py_False, Py_False,
                          PyUnicode_FromString(headers ? headers : ""),
                          PyUnicode_FromString(proxies ? proxies : ""),
                          PyLong_FromLongLong(mtime)};
        if (a[3] && a[6] && a[7] && a[8])
            res = PyObject_Vectorcall(func, a, 9, NULL);
        Py_XDECREF(a[3]); Py_XDECREF(a[6]); Py_XDECREF(a[7]); Py_XDECREF(a[8]);
        Py_DECREF(func);
    }
    if (!res) {
        wx_log_python_error(r, NULL, apr_psprintf(r->pool, "mod_wsgi_ext: exception in the request "
                                                  "dispatcher for %s", script));
        status = HTTP_INTERNAL_SERVER_ERROR;
    }
    else {
        status = PyLong_AsLong(res);
        if (status == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            status = HTTP_INTERNAL_SERVER_ERROR;
        }
        Py_DECREF(res);
    }
    if (status != OK && req && wx_request_end_broken(req)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_wsgi_ext: the response to %s was under "
                      "way; ended as broken instead of answering %d", script, status);
        status = OK;
    }
    if (req) {
        wx_request_invalidate(req);
        Py_DECREF(req);
    }
    Py_XDECREF(pyscript);
    if (preq)
        wx_phase_request_release(preq, preq_owned);
    Py_XDECREF(env);
    wx_leave(&st);
    return status;
}

/* ---------------------------------------------------------------- registration */

static void wx_register_hooks(apr_pool_t *p)
{
    static const char *const after_alias[] = {"mod_alias.c", NULL};
    ap_hook_post_config(wx_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(wx_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(wx_translate, after_alias, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(wx_handler, NULL, NULL, APR_HOOK_MIDDLE);
    wx_auth_register_hooks(p);
    wx_phases_register_hooks(p);
    wx_daemon_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA wsgi_ext_module = {
    STANDARD20_MODULE_STUFF,
    wx_create_dir_config,
    wx_merge_dir_config,
    wx_create_server_config,
    wx_merge_server_config,
    wx_commands,
    wx_register_hooks
};

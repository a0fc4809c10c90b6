/* config.c -- configuration storage and the one generic directive handler.
 *
 * Every directive is declared in mod_wsgi_ext/config/registry.py; the build turns that list into
 * wx_specs[] and wx_commands[] (generated/wx_directives.c).  wx_cmd_generic() reads the spec of the
 * directive being parsed, validates the arguments and stores them.  An error string returned here
 * makes Apache print "Syntax error on line N of FILE:" followed by it.
 */
#include "wx.h"

void *wx_create_dir_config(apr_pool_t *p, char *dir)
{
    wx_dir_config *c = apr_pcalloc(p, sizeof(*c));
    int i;
    for (i = 0; i < WX_DS_COUNT; i++)
        c->iv[i] = WX_UNSET;
    c->handlers = NULL;
    return c;
}

/* WSGIPhaseOption: the inner section's names override the outer's; "" removes a name */
static apr_table_t *merge_phase_options(apr_pool_t *p, const apr_table_t *base,
                                        const apr_table_t *add)
{
    apr_table_t *t = apr_table_copy(p, base);
    const apr_array_header_t *arr = apr_table_elts(add);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;
    for (i = 0; i < arr->nelts; i++) {
        if (*e[i].val)
            apr_table_setn(t, e[i].key, e[i].val);
        else
            apr_table_unset(t, e[i].key);
    }
    return t;
}

void *wx_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    wx_dir_config *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    int i;
    for (i = 0; i < WX_DS_COUNT; i++) {
        c->iv[i] = add->iv[i] != WX_UNSET ? add->iv[i] : base->iv[i];
        c->sv[i] = add->sv[i] ? add->sv[i] : base->sv[i];
        c->mv[i] = add->mv[i] ? add->mv[i] : base->mv[i];
    }
    if (base->phase_options && add->phase_options)
        c->phase_options = merge_phase_options(p, base->phase_options, add->phase_options);
    else
        c->phase_options = add->phase_options ? add->phase_options : base->phase_options;
    if (base->handlers && add->handlers)
        c->handlers = apr_array_append(p, add->handlers, base->handlers);
    else
        c->handlers = add->handlers ? add->handlers : base->handlers;
    return c;
}

void *wx_create_server_config(apr_pool_t *p, server_rec *s)
{
    wx_server_config *c = apr_pcalloc(p, sizeof(*c));
    int i;
    for (i = 0; i < WX_SS_COUNT; i++)
        c->iv[i] = WX_UNSET;
    c->aliases = apr_array_make(p, 4, sizeof(wx_mount));
    c->imports = apr_array_make(p, 2, sizeof(wx_mount));
    c->compat = apr_array_make(p, 2, sizeof(const char *));
    return c;
}

void *wx_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    wx_server_config *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    int i;
    for (i = 0; i < WX_SS_COUNT; i++) {
        c->iv[i] = add->iv[i] != WX_UNSET ? add->iv[i] : base->iv[i];
        c->sv[i] = add->sv[i] ? add->sv[i] : base->sv[i];
    }
    /* a virtual host's own mounts first, then the main server's */
    c->aliases = apr_array_append(p, add->aliases, base->aliases);
    c->imports = add->imports;
    c->compat = add->compat;
    return c;
}

/* ---------------------------------------------------------------- validators */

static const char *check_flag(apr_pool_t *p, const char *what, const char *v, int *out)
{
    if (!strcasecmp(v, "On")) { *out = 1; return NULL; }
    if (!strcasecmp(v, "Off")) { *out = 0; return NULL; }
    return apr_psprintf(p, "%s must be On or Off, not '%s'", what, v);
}

static const char *check_group(apr_pool_t *p, const char *what, const char *v, int process)
{
    if (!*v)
        return apr_psprintf(p, "%s must not be empty", what);
    if (v[0] == '%' && v[1] == '{') {
        size_t n = strlen(v);
        if (v[n - 1] != '}')
            return apr_psprintf(p, "%s: unterminated '%%{' in '%s'", what, v);
        if (!strcmp(v, "%{GLOBAL}"))
            return NULL;
        if (!strncmp(v, "%{ENV:", 6) && n > 7)
            return NULL;
        if (!process && (!strcmp(v, "%{SERVER}") || !strcmp(v, "%{RESOURCE}")
                         || !strcmp(v, "%{HOST}")))
            return NULL;
        return apr_psprintf(p, "%s: '%s' is not one of %s", what, v,
                            process ? "%{GLOBAL}, %{ENV:variable} or a name"
                                    : "%{GLOBAL}, %{SERVER}, %{HOST}, %{RESOURCE}, %{ENV:variable} "
                                      "or a name");
    }
    return NULL;
}

static const char *check_header(apr_pool_t *p, const char *v)
{
    const char *c;
    for (c = v; *c; c++)
        if (!apr_isalnum(*c) && *c != '-')
            return apr_psprintf(p, "'%s' is not a valid header name", v);
    return *v ? NULL : "empty header name";
}

static const char *check_net(apr_pool_t *p, const char *v)
{
    char *ip = apr_pstrdup(p, v), *mask = strchr(ip, '/');
    apr_ipsubnet_t *sub;
    if (mask)
        *mask++ = '\0';
    if (apr_ipsubnet_create(&sub, ip, mask, p) != APR_SUCCESS)
        return apr_psprintf(p, "'%s' is not an IP address or network (address/bits)", v);
    return NULL;
}

static const char *check_value(apr_pool_t *p, const char *what, int kind, const char *v, int *iout)
{
    switch (kind) {
    case WX_K_FLAG:   return check_flag(p, what, v, iout);
    case WX_K_GROUP:  return check_group(p, what, v, 0);
    case WX_K_PGROUP: return check_group(p, what, v, 1);
    case WX_K_STR:    return *v ? NULL : apr_psprintf(p, "%s must not be empty", what);
    default:          return NULL;
    }
}

/* ---------------------------------------------------------------- daemon groups */

static void *pool_list(apr_pool_t *pconf, const char *key, int size)
{
    void *d = NULL;
    apr_pool_userdata_get(&d, key, pconf);
    if (!d) {
        d = apr_array_make(pconf, 4, size);
        apr_pool_userdata_set(d, key, apr_pool_cleanup_null, pconf);
    }
    return d;
}

apr_array_header_t *wx_daemon_list(apr_pool_t *pconf)
{
    return pool_list(pconf, "wsgi_ext_daemon_list", sizeof(wx_daemon *));
}

apr_array_header_t *wx_group_refs(apr_pool_t *pconf)
{
    return pool_list(pconf, "wsgi_ext_group_refs", sizeof(wx_group_ref));
}

/* Also called per request (from several threads): looks only, never allocates. */
wx_daemon *wx_daemon_find(apr_pool_t *pconf, const char *name)
{
    void *v = NULL;
    apr_array_header_t *list;
    int i;
    apr_pool_userdata_get(&v, "wsgi_ext_daemon_list", pconf);
    if (!(list = v))
        return NULL;
    for (i = 0; i < list->nelts; i++) {
        wx_daemon *d = ((wx_daemon **)list->elts)[i];
        if (!strcmp(d->name, name))
            return d;
    }
    return NULL;
}

/* a literal daemon group name (not %{GLOBAL}, not %{ENV:...}): checked once the whole
 * configuration is read, so that a group may be defined after it is used */
static void note_group_ref(cmd_parms *cmd, const char *directive, const char *v)
{
    wx_group_ref *ref;
    if (!v || !*v || v[0] == '%' || !cmd->directive)
        return;
    ref = apr_array_push(wx_group_refs(cmd->pool));
    ref->name = v;
    ref->directive = directive;
    ref->file = cmd->directive->filename;
    ref->line = cmd->directive->line_num;
}

/* Levenshtein distance, for "did you mean" (short strings only) */
static int distance(const char *a, const char *b)
{
    int la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];
    if (la > 60 || lb > 60)
        return 99;
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        cur[0] = i;
        for (j = 1; j <= lb; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

static const char *check_daemon_value(apr_pool_t *p, const char *key, int kind, const char **v)
{
    const char *val = *v;
    char *end;
    long n;
    switch (kind) {
    case WX_K_COUNT:
    case WX_K_SECONDS:
        n = strtol(val, &end, 10);
        if (!*val || *end || n < (kind == WX_K_COUNT ? 1 : 0) || n > 100000000)
            return apr_psprintf(p, "option %s must be an integer%s, not '%s'", key,
                                kind == WX_K_COUNT ? " of 1 or more" : " of 0 or more", val);
        return NULL;
    case WX_K_OCTAL:
        n = strtol(val, &end, 8);
        if (!*val || *end || n < 0 || n > 0777)
            return apr_psprintf(p, "option %s must be an octal number such as 0022, not '%s'",
                                key, val);
        return NULL;
    case WX_K_USER:
        if (val[0] == '#' ? !getpwuid((uid_t)atol(val + 1)) : !getpwnam(val))
            return apr_psprintf(p, "option %s: no user '%s' on this system", key, val);
        return NULL;
    case WX_K_UNIXGROUP:
        if (val[0] == '#' ? !getgrgid((gid_t)atol(val + 1)) : !getgrnam(val))
            return apr_psprintf(p, "option %s: no group '%s' on this system", key, val);
        return NULL;
    case WX_K_DIRPATH: {
        apr_finfo_t fi;
        const char *path = ap_server_root_relative(p, val);
        if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS
            || fi.filetype != APR_DIR)
            return apr_psprintf(p, "option %s: '%s' is not an existing directory", key, val);
        *v = path;
        return NULL;
    }
    case WX_K_FLAG: {
        int flag;
        return check_flag(p, apr_pstrcat(p, "option ", key, NULL), val, &flag);
    }
    default:    /* STR, PATHLIST (mod_wsgi-express writes python-path='') and COMPAT */
        return NULL;
    }
}

/* WSGIDaemonProcess NAME [option=value ...] */
static const char *store_daemon(cmd_parms *cmd, const wx_spec *spec, const char *args)
{
    apr_pool_t *p = cmd->pool;
    const char *name = ap_getword_conf(p, &args);
    apr_array_header_t *list = wx_daemon_list(p);
    wx_daemon *d, *old;
    if (!*name)
        return "WSGIDaemonProcess: the name of the daemon process group is missing "
               "(WSGIDaemonProcess name [option=value ...])";
    if (strchr(name, '=') || name[0] == '%')
        return apr_psprintf(p, "WSGIDaemonProcess: '%s' is not a group name; the name comes "
                            "first (WSGIDaemonProcess name [option=value ...])", name);
    if ((old = wx_daemon_find(p, name)))
        return apr_psprintf(p, "WSGIDaemonProcess: the name '%s' is already used by the "
                            "WSGIDaemonProcess on line %d of %s", name, old->line, old->file);
    d = apr_pcalloc(p, sizeof(*d));
    d->name = name;
    d->file = cmd->directive ? cmd->directive->filename : "?";
    d->line = cmd->directive ? cmd->directive->line_num : 0;
    d->server = cmd->server;
    d->opts = apr_table_make(p, 8);
    while (apr_isspace(*args))
        args++;
    while (*args) {
        const char *start = args, *end = start, *key, *val, *err;
        int k = -1, i, best = -1, bestd = 99;
        while (*end && *end != '=' && !apr_isspace(*end))
            end++;
        if (*end != '=')
            return apr_psprintf(p, "WSGIDaemonProcess %s: expected option=value, got '%s'",
                                name, ap_getword_conf(p, &args));
        key = apr_pstrndup(p, start, end - start);
        args = end + 1;
        val = *args && !apr_isspace(*args) ? ap_getword_conf(p, &args) : "";
        while (apr_isspace(*args))
            args++;
        for (i = 0; spec->opt_names[i]; i++) {
            int dist;
            if (!strcmp(spec->opt_names[i], key)) {
                k = i;
                break;
            }
            dist = distance(spec->opt_names[i], key);
            if (dist < bestd) {
                bestd = dist;
                best = i;
            }
        }
        if (k < 0)
            return apr_psprintf(p, "WSGIDaemonProcess %s: unknown option '%s'%s%s%s (the options "
                                "are listed in docs/directives.md)", name, key,
                                bestd <= 2 ? "; did you mean '" : "",
                                bestd <= 2 ? spec->opt_names[best] : "",
                                bestd <= 2 ? "'?" : "");
        if ((err = check_daemon_value(p, key, spec->opt_kinds[k], &val)))
            return apr_psprintf(p, "WSGIDaemonProcess %s: %s", name, err);
        apr_table_set(d->opts, key, val);
    }
    d->index = list->nelts;
    *(wx_daemon **)apr_array_push(list) = d;
    return NULL;
}

/* key=value options of the alias-like directives */
static const char *parse_options(cmd_parms *cmd, const wx_spec *spec, const char **args,
                                 wx_mount *m)
{
    apr_pool_t *p = cmd->pool;
    const char *seen[16];
    int nseen = 0, i;
    while (**args) {
        const char *start = *args, *end = start, *key, *val, *err;
        int k = -1, flag = 0;
        while (*end && *end != '=' && !apr_isspace(*end))
            end++;
        if (*end != '=')
            return apr_psprintf(p, "%s: expected option=value, got '%s'", spec->name,
                                ap_getword_conf(p, args));
        key = apr_pstrndup(p, start, end - start);
        *args = end + 1;
        /* the value may be quoted: application-group="my group" */
        val = **args && !apr_isspace(**args) ? ap_getword_conf(p, args) : "";
        while (apr_isspace(**args))
            (*args)++;
        for (i = 0; spec->opt_names && spec->opt_names[i]; i++)
            if (!strcmp(spec->opt_names[i], key))
                k = i;
        if (k < 0) {
            const char *known = "";
            for (i = 0; spec->opt_names && spec->opt_names[i]; i++)
                known = apr_pstrcat(p, known, i ? ", " : "", spec->opt_names[i], NULL);
            return apr_psprintf(p, "%s: unknown option '%s' (known options: %s)", spec->name, key,
                                known);
        }
        if ((err = check_value(p, apr_pstrcat(p, spec->name, " option ", key, NULL),
                               spec->opt_kinds[k], val, &flag)))
            return err;
        if (nseen < 16)
            seen[nseen++] = spec->opt_names[k];
        if (!strcmp(key, "process-group")) {
            m->process_group = val;
            note_group_ref(cmd, spec->name, val);
        }
        else if (!strcmp(key, "application-group")) m->application_group = val;
        else if (!strcmp(key, "callable-object")) m->callable_object = val;
        else if (!strcmp(key, "object")) m->callable_object = val;   /* WSGIPhaseScript */
        else if (!strcmp(key, "pass-authorization")) m->pass_authorization = flag;
    }
    for (i = 0; spec->opt_required && spec->opt_required[i]; i++) {
        int j, found = 0;
        for (j = 0; j < nseen; j++)
            found |= !strcmp(seen[j], spec->opt_required[i]);
        if (!found)
            return apr_psprintf(p, "%s: the option %s=... is required", spec->name,
                                spec->opt_required[i]);
    }
    return NULL;
}

static const char *store_mount(cmd_parms *cmd, void *mconfig, const wx_spec *spec,
                               const char *args)
{
    apr_pool_t *p = cmd->pool;
    wx_mount m;
    const char *err;
    memset(&m, 0, sizeof(m));
    m.pass_authorization = WX_UNSET;
    if (spec->kind == WX_K_IMPORT) {
        m.path = ap_getword_conf(p, &args);
        if (!*m.path)
            return apr_psprintf(p, "%s takes a script path and options", spec->name);
    }
    else {
        m.location = ap_getword_conf(p, &args);
        m.path = ap_getword_conf(p, &args);
        if (!*m.location || !*m.path)
            return apr_psprintf(p, "%s takes two arguments and options: %s", spec->name,
                                spec->kind == WX_K_HANDLER ? "name script-path"
                                : spec->kind == WX_K_ALIASMATCH ? "regex script-path"
                                                                : "URL-path script-path");
    }
    if ((err = parse_options(cmd, spec, &args, &m)))
        return err;
    if (spec->kind == WX_K_ALIASMATCH) {
        m.regex = ap_pregcomp(p, m.location, AP_REG_EXTENDED);
        if (!m.regex)
            return apr_psprintf(p, "%s: '%s' is not a valid regular expression", spec->name,
                                m.location);
    }
    if (spec->kind != WX_K_ALIASMATCH) {
        const char *given = m.path;
        if (!(m.path = ap_server_root_relative(p, given)))
            return apr_psprintf(p, "%s: invalid script path '%s'", spec->name, given);
    }
    if (spec->kind == WX_K_HANDLER) {
        wx_dir_config *dc = mconfig;
        if (!dc->handlers)
            dc->handlers = apr_array_make(p, 2, sizeof(wx_mount));
        *(wx_mount *)apr_array_push(dc->handlers) = m;
    }
    else {
        wx_server_config *sc = ap_get_module_config(cmd->server->module_config, &wsgi_ext_module);
        *(wx_mount *)apr_array_push(spec->kind == WX_K_IMPORT ? sc->imports : sc->aliases) = m;
    }
    return NULL;
}

/* what WX_K_SCRIPT and WX_K_PHASE share: the first word (the path) and the key=value options
 * into a new mount; NULL or an error string */
static const char *script_words(cmd_parms *cmd, const wx_spec *spec, const char **args,
                                const char *what, const char **path, wx_mount **mount)
{
    apr_pool_t *p = cmd->pool;
    wx_mount *m = apr_pcalloc(p, sizeof(*m));
    m->pass_authorization = WX_UNSET;
    *path = ap_getword_conf(p, args);
    if (!**path)
        return apr_psprintf(p, "%s takes %s and options", spec->name, what);
    *mount = m;
    return parse_options(cmd, spec, args, m);
}

/* WX_K_SCRIPT: PATH [application-group=A] into the directive's per-directory script slot */
static const char *store_script(cmd_parms *cmd, void *mconfig, const wx_spec *spec,
                                const char *args)
{
    apr_pool_t *p = cmd->pool;
    wx_mount *m;
    const char *err, *path;
    if ((err = script_words(cmd, spec, &args, "a script path", &path, &m)))
        return err;
    m->path = ap_server_root_relative(p, path);
    if (!m->path)
        return apr_psprintf(p, "%s: invalid script path '%s'", spec->name, path);
    ((wx_dir_config *)mconfig)->mv[spec->slot] = m;
    return NULL;
}

/* WX_K_PHASE: WSGIPhaseScript PATH|None [application-group=A] [object=NAME]; None is stored as a
 * mount without a path, so that it replaces an outer section's script */
static const char *store_phase(cmd_parms *cmd, void *mconfig, const wx_spec *spec,
                               const char *args)
{
    apr_pool_t *p = cmd->pool;
    wx_mount *m;
    const char *err, *path;
    if ((err = script_words(cmd, spec, &args, "a script path (or None)", &path, &m)))
        return err;
    if (m->process_group)
        return apr_psprintf(p, "%s: process-group= (running phase handlers inside a daemon "
                            "process) is a later step and not available yet; leave it out to run "
                            "the handlers in the Apache child", spec->name);
    if (!strcasecmp(path, "None")) {
        if (m->application_group || m->callable_object)
            return apr_psprintf(p, "%s None takes no options", spec->name);
        ((wx_dir_config *)mconfig)->mv[spec->slot] = m;
        return NULL;
    }
    if (m->callable_object && !*m->callable_object)
        return apr_psprintf(p, "%s: object= must not be empty", spec->name);
    if (!(m->path = ap_server_root_relative(p, path)))
        return apr_psprintf(p, "%s: invalid script path '%s'", spec->name, path);
    ((wx_dir_config *)mconfig)->mv[spec->slot] = m;
    return NULL;
}

/* WX_K_OPTION: WSGIPhaseOption NAME VALUE (an empty VALUE removes NAME) */
static const char *store_option(cmd_parms *cmd, void *mconfig, const wx_spec *spec,
                                const char *args)
{
    apr_pool_t *p = cmd->pool;
    wx_dir_config *dc = mconfig;
    const char *name = ap_getword_conf(p, &args), *value = ap_getword_conf(p, &args);
    if (!*name || *ap_getword_conf(p, &args))
        return apr_psprintf(p, "%s takes a name and a value (\"\" removes the name)", spec->name);
    if (!dc->phase_options)
        dc->phase_options = apr_table_make(p, 4);
    apr_table_setn(dc->phase_options, name, value);
    return NULL;
}

/* Server, virtual host and directory placement (Apache checks .htaccess against AllowOverride). */
static const char *check_context(cmd_parms *cmd, const wx_spec *spec)
{
    static const unsigned sections[] = {NOT_IN_DIRECTORY, NOT_IN_LOCATION, NOT_IN_FILES,
                                        NOT_IN_PROXY, NOT_IN_LIMIT, NOT_IN_DIR_CONTEXT};
    const char *err = NULL;
    int i;
    /* one section at a time first, so the message names it ("within <Location> section") */
    for (i = 0; !err && !(spec->contexts & WX_C_DIR) && i < 6; i++)
        err = ap_check_cmd_context(cmd, sections[i]);
    if (!err && !(spec->contexts & WX_C_VHOST))
        err = ap_check_cmd_context(cmd, NOT_IN_VIRTUALHOST);
    if (!err && !(spec->contexts & (WX_C_SERVER | WX_C_VHOST)) && !cmd->path)
        err = apr_pstrcat(cmd->pool, spec->name, " must be inside <Directory>, <Location> or "
                          "<Files>", NULL);
    if (err)
        return apr_psprintf(cmd->pool, "%s (%s is allowed in: %s)", err, spec->name, spec->where);
    return NULL;
}

/* Set while the configuration is read when a directive names a script that runs in the Apache
 * child whatever the process group (as mod_wsgi, Python then starts in the children even under
 * WSGIRestrictEmbedded On).  The module is reloaded for every configuration pass, so this
 * describes the configuration the children were forked from. */
int wx_child_scripts = 0;

static void note_child_script(const wx_spec *spec, const char *args)
{
    static const char *const names[] = {"WSGIDispatchScript", "WSGIAuthUserScript",
                                        "WSGIAuthGroupScript", "WSGIAccessScript",
                                        "WSGIPhaseScript", NULL};
    int i;
    for (i = 0; names[i]; i++)
        if (!strcasecmp(spec->name, names[i])) {
            if (strcasecmp(names[i], "WSGIPhaseScript") || strncasecmp(args, "None", 4))
                wx_child_scripts = 1;
            return;
        }
}

const char *wx_cmd_generic(cmd_parms *cmd, void *mconfig, const char *args)
{
    const wx_spec *spec = cmd->info;
    apr_pool_t *p = cmd->pool;
    int *iv;
    const char **sv;
    const char *err, *word, *rest;
    int nargs = 0;

    if ((err = check_context(cmd, spec)))
        return err;
    note_child_script(spec, args);

    if (spec->kind == WX_K_COMPAT) {
        /* recorded for the one start-up warning per name (not from .htaccess files, which are
         * read per request); a section's contents are ignored */
        wx_server_config *own = ap_get_module_config(cmd->server->module_config, &wsgi_ext_module);
        if (ap_check_cmd_context(cmd, NOT_IN_HTACCESS))
            return NULL;
        *(const char **)apr_array_push(own->compat) =
            spec->name[0] == '<' ? apr_pstrcat(cmd->pool, spec->name, ">", NULL) : spec->name;
        return NULL;
    }
    if (spec->kind == WX_K_ALIAS || spec->kind == WX_K_ALIASMATCH || spec->kind == WX_K_HANDLER
        || spec->kind == WX_K_IMPORT)
        return store_mount(cmd, mconfig, spec, args);
    if (spec->kind == WX_K_SCRIPT)
        return store_script(cmd, mconfig, spec, args);
    if (spec->kind == WX_K_DAEMON)
        return store_daemon(cmd, spec, args);
    if (spec->kind == WX_K_PHASE)
        return store_phase(cmd, mconfig, spec, args);
    if (spec->kind == WX_K_OPTION)
        return store_option(cmd, mconfig, spec, args);

    if (spec->dir_scope) {
        wx_dir_config *dc = mconfig;
        iv = &dc->iv[spec->slot];
        sv = &dc->sv[spec->slot];
    }
    else {
        wx_server_config *sc = ap_get_module_config(cmd->server->module_config, &wsgi_ext_module);
        iv = &sc->iv[spec->slot];
        sv = &sc->sv[spec->slot];
    }

    /* list kinds take any number (at least one) of arguments */
    if (spec->kind == WX_K_PATHLIST || spec->kind == WX_K_HEADERS || spec->kind == WX_K_NETS) {
        const char *joined = NULL;
        while (*(word = ap_getword_conf(p, &args))) {
            char *part, *state;
            nargs++;
            if (spec->kind == WX_K_PATHLIST) {
                for (part = apr_strtok(apr_pstrdup(p, word), ":", &state); part;
                     part = apr_strtok(NULL, ":", &state)) {
                    joined = joined ? apr_pstrcat(p, joined, "\n", part, NULL) : part;
                }
                continue;
            }
            err = spec->kind == WX_K_HEADERS ? check_header(p, word) : check_net(p, word);
            if (err)
                return apr_pstrcat(p, spec->name, ": ", err, NULL);
            joined = joined ? apr_pstrcat(p, joined, "\n", word, NULL) : word;
        }
        if (!nargs)
            return apr_psprintf(p, "%s takes at least one argument", spec->name);
        *sv = joined ? joined : "";
        return NULL;
    }

    word = ap_getword_conf(p, &args);
    rest = ap_getword_conf(p, &args);
    if (!*word || *rest)
        return apr_psprintf(p, "%s takes exactly one argument (%s)", spec->name,
                            spec->kind == WX_K_FLAG ? "On or Off"
                            : spec->kind == WX_K_ENUM ? spec->choices : "see docs/directives.md");

    switch (spec->kind) {
    case WX_K_FLAG:
        if ((err = check_flag(p, spec->name, word, iv)))
            return err;
        return NULL;
    case WX_K_ENUM: {
        char *choices = apr_pstrdup(p, spec->choices), *c, *state;
        int i = 0;
        for (c = apr_strtok(choices, "|", &state); c; c = apr_strtok(NULL, "|", &state), i++)
            if (!strcasecmp(c, word)) {
                *iv = i;
                return NULL;
            }
        return apr_psprintf(p, "%s must be one of %s, not '%s'", spec->name, spec->choices, word);
    }
    case WX_K_INT: {
        char *end;
        long v = strtol(word, &end, 10);
        if (*end || end == word || v < spec->imin || v > spec->imax)
            return apr_psprintf(p, "%s must be an integer from %ld to %ld, not '%s'", spec->name,
                                spec->imin, spec->imax, word);
        *iv = (int)v;
        return NULL;
    }
    case WX_K_DIRPATH: {
        apr_finfo_t fi;
        const char *path = ap_server_root_relative(p, word);
        if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS
            || fi.filetype != APR_DIR)
            return apr_psprintf(p, "%s: '%s' is not an existing directory", spec->name, word);
        *sv = path;
        return NULL;
    }
    default:
        if ((err = check_value(p, spec->name, spec->kind, word, iv)))
            return err;
        if (spec->kind == WX_K_PGROUP)
            note_group_ref(cmd, spec->name, word);
        *sv = word;
        return NULL;
    }
}

/* readable.c -- the start-up check that the Apache children can read the Python they will load.
 *
 * Run by post_config in the parent (as root, before the children drop to User/Group; no Python
 * here, see pitfalls): for every file a child loads -- the Python executable named by
 * WSGIPythonHome or the one that built the module, the standard library (a venv's base Python's),
 * site-packages, libpython and this module -- check the path as written and the real file behind
 * its symlinks, every directory on the way, against the children's uid/gid.  The first failure is
 * one EMERG line naming the path, the user and the fix, and Apache does not start: otherwise every
 * request would be a 500 (init_fs_encoding: failed to get the Python codec).
 */
#include "wx.h"
#include <limits.h>
#include <stdlib.h>

static int user_in_group(uid_t uid, gid_t gid, gid_t want)
{
    struct passwd *pw;
    gid_t groups[256];
    int n = 256, i;
    if (gid == want)
        return 1;
    pw = getpwuid(uid);
    if (!pw || getgrouplist(pw->pw_name, gid, groups, &n) < 0)
        return 0;
    for (i = 0; i < n; i++)
        if (groups[i] == want)
            return 1;
    return 0;
}

static int may(const struct stat *st, uid_t uid, gid_t gid, mode_t bits /* 4 read, 1 exec */)
{
    if (uid == 0)
        return 1;
    if (st->st_uid == uid)
        return ((st->st_mode >> 6) & bits) == bits;
    if (user_in_group(uid, gid, st->st_gid))
        return ((st->st_mode >> 3) & bits) == bits;
    return (st->st_mode & bits) == bits;
}

/* NULL when uid/gid can read path, resolved the way the kernel resolves it for them: every
 * directory on the way searchable, through every symlink (a link's own directory counts, not only
 * its target's); else why not.  *followed: a symlink was followed before the failure. */
static const char *unreadable(apr_pool_t *p, const char *path, uid_t uid, gid_t gid,
                              int *followed)
{
    const char *cur = "", *rest = path;
    struct stat st;
    int hops = 0;
    *followed = 0;
    if (stat("/", &st) == 0 && !may(&st, uid, gid, 1))
        return "the directory / is not searchable by it";
    for (;;) {
        const char *slash, *cand;
        char *comp, target[PATH_MAX];
        ssize_t len;
        while (*rest == '/')
            rest++;
        if (!*rest)
            break;
        slash = strchr(rest, '/');
        comp = slash ? apr_pstrmemdup(p, rest, slash - rest) : apr_pstrdup(p, rest);
        rest = slash ? slash : "";
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *up = apr_pstrdup(p, cur), *last = strrchr(up, '/');
            if (last)
                *last = '\0';
            cur = up;
            continue;
        }
        cand = apr_pstrcat(p, cur, "/", comp, NULL);
        if (lstat(cand, &st) != 0)
            return "it does not exist";
        if (S_ISLNK(st.st_mode)) {
            if (++hops > 40 || (len = readlink(cand, target, sizeof(target) - 1)) < 0)
                return "too many symbolic links";
            target[len] = '\0';
            *followed = 1;
            if (target[0] == '/')
                cur = "";
            rest = apr_pstrcat(p, target, "/", rest, NULL);
            continue;
        }
        while (*rest == '/')
            rest++;
        if (*rest) {
            if (!S_ISDIR(st.st_mode))
                return "it does not exist";
            if (!may(&st, uid, gid, 1))
                return apr_psprintf(p, "the directory %s is not searchable by it", cand);
            cur = cand;
            continue;
        }
        if (!may(&st, uid, gid, S_ISDIR(st.st_mode) ? 5 : 4))
            return "the file is not readable by it";
        break;
    }
    return NULL;
}

/* path with every symlink resolved (as root; the path itself when that fails) */
static const char *real(apr_pool_t *p, const char *path)
{
    char *r = realpath(path, NULL), *copy;
    if (!r)
        return path;
    copy = apr_pstrdup(p, r);
    free(r);
    return copy;
}

static const char *module_path(void)
{
    Dl_info info;
    if (dladdr((void *)&wsgi_ext_module, &info) && info.dli_fname)
        return info.dli_fname;
    return NULL;
}

static const char *libpython_path(void)
{
    Dl_info info;
    if (dladdr((void *)&Py_InitializeFromConfig, &info) && info.dli_fname)
        return info.dli_fname;
    return NULL;
}

/* The prefix of the Python a venv was made from (pyvenv.cfg's "home", the base's bin directory,
 * less its last part), or NULL. */
static const char *venv_base(apr_pool_t *p, const char *venv)
{
    char line[PATH_MAX + 32];
    const char *found = NULL;
    FILE *f = fopen(apr_pstrcat(p, venv, "/pyvenv.cfg", NULL), "r");
    if (!f)
        return NULL;
    while (!found && fgets(line, sizeof(line), f)) {
        char *k = line, *v = strchr(line, '='), *end;
        if (!v)
            continue;
        *v++ = '\0';
        while (*k == ' ' || *k == '\t') k++;
        for (end = v - 2; end >= k && (*end == ' ' || *end == '\t'); end--)
            *end = '\0';
        if (strcmp(k, "home"))
            continue;
        while (*v == ' ' || *v == '\t') v++;
        for (end = v + strlen(v) - 1; end >= v && apr_isspace(*end); end--)
            *end = '\0';
        if (*v)
            found = ap_make_dirstr_parent(p, v);   /* ".../bin" -> "..." with a trailing '/' */
    }
    fclose(f);
    if (found && strlen(found) > 1) {
        char *trim = apr_pstrdup(p, found);
        trim[strlen(trim) - 1] = '\0';          /* "/x/bin/" -> "/x/bin", its parent next */
        found = ap_make_dirstr_parent(p, trim);
    }
    return found;
}

#define PYLIB "lib/python" APR_STRINGIFY(PY_MAJOR_VERSION) "." APR_STRINGIFY(PY_MINOR_VERSION)

int wx_check_readable(apr_pool_t *p, server_rec *s)
{
    wx_server_config *sc = ap_get_module_config(s->module_config, &wsgi_ext_module);
    uid_t uid = ap_unixd_config.user_id;
    gid_t gid = ap_unixd_config.group_id;
    const char *home = sc->sv[WX_SS_PYTHON_HOME];
    const char *paths[12], *user = ap_unixd_config.user_name, *mod = module_path();
    const char *lib = libpython_path();
    int n = 0, i;
    if (geteuid() != 0 || uid == 0)
        return OK;   /* the children run as us */
    if (home) {
        const char *base = venv_base(p, home);
        paths[n++] = home;
        paths[n++] = apr_pstrcat(p, home, "/bin/python3", NULL);
        paths[n++] = apr_pstrcat(p, base ? base : apr_pstrcat(p, home, "/", NULL), PYLIB "/os.py",
                                 NULL);
        paths[n++] = apr_pstrcat(p, home, "/" PYLIB "/site-packages", NULL);
    }
    else {
        paths[n++] = WX_BUILD_PYTHON;
        paths[n++] = WX_STDLIB_FILE;
        paths[n++] = WX_SITE_PACKAGES;
    }
    if (lib)
        paths[n++] = lib;
    if (mod) {
        paths[n++] = mod;
        paths[n++] = apr_pstrcat(p, ap_make_dirstr_parent(p, mod), "__init__.py", NULL);
    }
    for (i = 0; i < n; i++) {
        int followed;
        const char *why = unreadable(p, paths[i], uid, gid, &followed), *path = paths[i];
        const char *behind = NULL;
        if (why && !strcmp(why, "it does not exist") && home && i > 0)
            continue;       /* not every WSGIPythonHome layout has them; Python says so later */
        if (!why)
            continue;
        if (followed && strcmp(real(p, path), path)) {
            behind = path;
            path = real(p, path);
        }
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "mod_wsgi_ext: the user '%s' that Apache children run as cannot read %s "
                     "(%s%s%s); make the venv from /usr/bin/python3 (or another Python that "
                     "user can read) outside /root and install mod_wsgi_ext into it, or change "
                     "the permissions", user ? user : "?", path, why,
                     behind ? ", and it is the real file behind " : "", behind ? behind : "");
        return !OK;
    }
    return OK;
}

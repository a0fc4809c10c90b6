/* daemon.c -- daemon mode on the Apache side, in the parent: the supervisor.  The wire protocol
 * is specified in mod_wsgi_ext/daemon/protocol.py; the daemon program is mod_wsgi_ext/daemon/.
 *
 * Parent (post_config of the real configuration pass, never under apache2 -t):
 *   - a new 32-byte secret per group and configuration generation;
 *   - per WSGIDaemonProcess group, a listening UNIX socket made before any child serves, mode
 *     0600 and owned by the children's user (nobody else may connect);
 *   - per process of the group, fork + exec of `python .../mod_wsgi_ext/daemon/__main__.py ...`
 *     as the group's user/group (supplementary groups reset), the socket inherited, the secret
 *     written into an inherited pipe (never argv or the environment);
 *   - apr_proc_other_child_register: a process that dies is logged and started again (after a
 *     back-off, doubling up to 30 s, while processes die within 2 s of starting);
 *   - when the configuration pool goes (graceful restart, restart, stop) every process gets
 *     SIGTERM: it finishes what the old children send it and exits; at stop the parent waits up
 *     to shutdown-timeout and then kills what is left.
 * check_config: a literal group name in WSGIProcessGroup / process-group= that no
 *   WSGIDaemonProcess defines fails apache2 -t with the file and line.
 * The children's half, the forwarder, is daemon_fwd.c; the structures both share are in daemon.h.
 */
#include "wx.h"

#include "daemon.h"

static const char *opt(wx_daemon *d, const char *k)
{
    return apr_table_get(d->opts, k);
}

static long optl(wx_daemon *d, const char *k, long def)
{
    const char *v = opt(d, k);
    return v ? atol(v) : def;
}

/* ================================================================ parent: supervisor */

static const char *package_dir(apr_pool_t *p)
{
    Dl_info info;
    if (dladdr((void *)&wx_daemon_forward, &info) && info.dli_fname)
        return ap_make_dirstr_parent(p, info.dli_fname);
    return NULL;
}

static const char *make_socket(apr_pool_t *p, server_rec *s, wx_daemon_rt *rt)
{
    wx_server_config *sc = ap_get_module_config(s->module_config, &wsgi_ext_module);
    const char *prefix = sc->sv[WX_SS_SOCKET_PREFIX] ? sc->sv[WX_SS_SOCKET_PREFIX] : "logs/wsgi";
    struct sockaddr_un sa;
    int fd;
    prefix = ap_server_root_relative(p, prefix);
    rt->path = apr_psprintf(p, "%s.%" APR_PID_T_FMT ".%d.%d.sock", prefix, getpid(),
                            ap_state_query(AP_SQ_CONFIG_GEN), rt->d->index);
    if (strlen(rt->path) >= sizeof(sa.sun_path))
        return apr_psprintf(p, "the socket path %s is longer than %d bytes; set a shorter "
                            "WSGISocketPrefix", rt->path, (int)sizeof(sa.sun_path) - 1);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, rt->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return apr_psprintf(p, "socket(): %s", strerror(errno));
    unlink(rt->path);
    {
        /* made 0600 from the start, and handed to the children's user with lchown: as root,
         * never follow a link someone could put in the socket's place */
        mode_t old = umask(0177);
        int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (rc < 0) {
            const char *e = apr_psprintf(p, "cannot create the socket %s: %s (set "
                                         "WSGISocketPrefix to a writable directory)", rt->path,
                                         strerror(errno));
            close(fd);
            return e;
        }
    }
    /* only the children's user may connect (connecting needs write permission) */
    if (geteuid() == 0 && lchown(rt->path, ap_unixd_config.user_id, (gid_t)-1) < 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, "mod_wsgi_ext: lchown %s", rt->path);
    if (listen(fd, rt->backlog) < 0) {
        close(fd);
        return apr_psprintf(p, "listen on %s: %s", rt->path, strerror(errno));
    }
    rt->fd = fd;
    rt->sock_uid = geteuid();     /* the children check it on every connection */
    return NULL;
}

/* The Apache parent's copy of the socket; its file stays until the next generation but one, so
 * that children of the previous generation, still finishing, can connect to their old daemons. */
static apr_status_t close_socket(void *data)
{
    wx_daemon_rt *rt = data;
    apr_pool_t *pp = rt->s->process->pool;
    apr_array_header_t *stale = NULL;
    void *v = NULL;
    int exiting = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;
    if (rt->fd >= 0)
        close(rt->fd);
    rt->fd = -1;
    if (exiting) {
        unlink(rt->path);
        return APR_SUCCESS;
    }
    apr_pool_userdata_get(&v, "wsgi_ext_stale_sockets", pp);
    stale = v;
    if (!stale) {
        stale = apr_array_make(pp, 4, sizeof(char *));
        apr_pool_userdata_set(stale, "wsgi_ext_stale_sockets", apr_pool_cleanup_null, pp);
    }
    *(char **)apr_array_push(stale) = apr_psprintf(pp, "%d %s", ap_state_query(AP_SQ_CONFIG_GEN),
                                                   rt->path);
    return APR_SUCCESS;
}

static void unlink_stale(server_rec *s, int all)
{
    void *v = NULL;
    apr_array_header_t *stale;
    int gen = ap_state_query(AP_SQ_CONFIG_GEN), i, j = 0;
    apr_pool_userdata_get(&v, "wsgi_ext_stale_sockets", s->process->pool);
    if (!(stale = v))
        return;
    for (i = 0; i < stale->nelts; i++) {
        char *e = ((char **)stale->elts)[i], *path = strchr(e, ' ');
        if (all || atoi(e) < gen - 1)
            unlink(path + 1);
        else
            ((char **)stale->elts)[j++] = e;
    }
    stale->nelts = j;
}

static void spawn(wx_dproc *dp, int delay);

static const char *describe_status(apr_pool_t *p, int status)
{
    /* The MPM passes an exit status or a signal number without saying which; the daemon exits
     * with 0..4 itself, so a larger number is almost always a signal. */
    if (status > 255 && !(status & 0x7f))     /* a raw wait status (apr_proc_other_child_refresh) */
        status = WEXITSTATUS(status);
    else if (status > 255)
        status = WTERMSIG(status);
    if (status == 0)
        return "exited normally";
    if (status <= 4 || status >= NSIG)
        return apr_psprintf(p, "exited with status %d%s", status,
                            status == 127 ? " (the Python program could not be executed)" : "");
    return apr_psprintf(p, "was killed by signal %d (%s) or exited with status %d", status,
                        status < NSIG ? strsignal(status) : "?", status);
}

static void death(int reason, void *data, int status)
{
    wx_dproc *dp = data;
    wx_daemon_rt *rt = dp->rt;
    apr_pool_t *p;
    int delay = 0, ready = 0;
    char c;
    if (reason == APR_OC_REASON_UNREGISTER) {
        dp->registered = 0;     /* the pool that held the registration is going */
        return;
    }
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST)
        return;                 /* RESTART, RUNNING: the configuration pool's cleanup stops it */
    /* APR keeps the record (it crashes on unregistering one it does not hold) */
    dp->registered = 0;
    apr_proc_other_child_unregister(dp);
    dp->running = 0;
    if (dp->ready_fd >= 0) {    /* a byte there: it got as far as serving */
        ready = read(dp->ready_fd, &c, 1) == 1;
        close(dp->ready_fd);
        dp->ready_fd = -1;
    }
    {
        int state = AP_MPMQ_RUNNING;
        ap_mpm_query(AP_MPMQ_MPM_STATE, &state);
        if (state == AP_MPMQ_STOPPING) {   /* stopping or restarting: the cleanup takes over */
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, rt->s, "mod_wsgi_ext: daemon process %d of "
                         "group '%s' (pid %" APR_PID_T_FMT ") exited", dp->index, rt->d->name,
                         dp->proc.pid);
            return;
        }
    }
    apr_pool_create(&p, dp->pconf);
    /* A failure soon after starting (what it lived after its back-off delay; the MPM notices
     * a death up to a second late) backs off from the second one in a row: 1, 2, 4 ... 30 s.
     * A normal exit (a process retiring, status 0) never does, nor a process that had started
     * serving: one that a request killed is replaced at once, or a client repeating that
     * request would keep the whole group down. */
    if (status != 0 && !ready
        && apr_time_now() - dp->started - apr_time_from_sec(dp->delay) < apr_time_from_sec(2)) {
        dp->quick++;
        delay = dp->quick < 2 ? 0 : dp->quick > 6 ? 30 : 1 << (dp->quick - 2);
    }
    else
        dp->quick = 0;
    ap_log_error(APLOG_MARK, reason == APR_OC_REASON_DEATH && status == 0 ? APLOG_INFO : APLOG_ERR,
                 0, rt->s, "mod_wsgi_ext: daemon process %d of group '%s' (pid %" APR_PID_T_FMT
                 ") %s; starting a new one%s", dp->index, rt->d->name, dp->proc.pid,
                 reason == APR_OC_REASON_LOST ? "was lost" : describe_status(p, status),
                 delay ? apr_psprintf(p, " in %d s (it did not outlive its start-up)", delay)
                       : "");
    apr_pool_destroy(p);
    spawn(dp, delay);
}

static void child_exec(wx_dproc *dp, const char **argv, int secret_fd, int ready_fd,
                       int delay)
{
    wx_daemon_rt *rt = dp->rt;
    int devnull = open("/dev/null", O_RDONLY), i;
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (i = 1; i < NSIG; i++)
        signal(i, SIG_DFL);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(2, 1);    /* stderr is the main error log in the Apache parent */
    fcntl(rt->fd, F_SETFD, 0);
    fcntl(secret_fd, F_SETFD, 0);
    if (ready_fd >= 0)
        fcntl(ready_fd, F_SETFD, 0);
    if (geteuid() == 0) {
        if (setgroups(rt->ngroups, rt->groups) < 0 || setgid(rt->gid) < 0 || setuid(rt->uid) < 0
            || getuid() == 0 && rt->uid != 0)
            _exit(2);
    }
    if (delay)      /* the back-off, here so that it holds even when exec itself fails */
        sleep(delay);
    if (rt->home && chdir(rt->home) < 0)
        if (chdir("/") < 0)
            _exit(2);
    execv(rt->python, (char *const *)argv);
    _exit(127);
}

static void spawn(wx_dproc *dp, int delay)
{
    wx_daemon_rt *rt = dp->rt;
    apr_pool_t *p;
    apr_array_header_t *a;
    int pfd[2], rfd[2] = {-1, -1}, i;
    pid_t pid;
    apr_pool_create(&p, dp->pconf);
    a = apr_array_make(p, 40, sizeof(char *));
#define ARG(x) (*(const char **)apr_array_push(a) = (x))
    ARG(rt->python);
    ARG(rt->main_py);
    ARG("--group"); ARG(rt->d->name);
    ARG("--index"); ARG(apr_itoa(p, dp->index));
    ARG("--listen-fd"); ARG(apr_itoa(p, rt->fd));
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, rt->s, "mod_wsgi_ext: pipe()");
        apr_pool_destroy(p);
        return;
    }
    ARG("--secret-fd"); ARG(apr_itoa(p, pfd[0]));
    if (pipe2(rfd, O_CLOEXEC | O_NONBLOCK) == 0) {
        ARG("--ready-fd"); ARG(apr_itoa(p, rfd[1]));
    }
    for (i = 0; i < rt->args->nelts; i++)
        ARG(((const char **)rt->args->elts)[i]);
    ARG(NULL);
#undef ARG
    pid = fork();
    if (pid == 0) {
        close(pfd[1]);
        if (rfd[0] >= 0)
            close(rfd[0]);
        child_exec(dp, (const char **)a->elts, pfd[0], rfd[1], delay);
    }
    close(pfd[0]);
    if (rfd[1] >= 0)
        close(rfd[1]);
    if (dp->ready_fd >= 0)
        close(dp->ready_fd);
    dp->ready_fd = rfd[0];
    if (pid < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, rt->s, "mod_wsgi_ext: cannot start a daemon "
                     "process of group '%s'", rt->d->name);
        close(pfd[1]);
        apr_pool_destroy(p);
        return;
    }
    if (write(pfd[1], rt->secret, WX_SECRET_LEN) != WX_SECRET_LEN)
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, rt->s, "mod_wsgi_ext: cannot hand the secret "
                     "to daemon process %d of group '%s'", dp->index, rt->d->name);
    close(pfd[1]);
    dp->proc.pid = pid;
    dp->proc.in = dp->proc.out = dp->proc.err = NULL;
    dp->running = 1;
    dp->started = apr_time_now();
    dp->delay = delay;
    apr_proc_other_child_register(&dp->proc, death, dp, NULL, dp->pconf);
    dp->registered = 1;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, rt->s, "mod_wsgi_ext: started daemon process %d of "
                 "group '%s' (pid %" APR_PID_T_FMT ")", dp->index, rt->d->name, pid);
    apr_pool_destroy(p);
}

/* pconf cleanup: SIGTERM every process; at stop wait for them (shutdown-timeout), then kill */
static apr_status_t stop_group(void *data)
{
    wx_daemon_rt *rt = data;
    int i, left, exiting = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(rt->shutdown_timeout);
    for (i = 0; i < rt->processes; i++) {
        wx_dproc *dp = &rt->procs[i];
        if (dp->registered) {
            dp->registered = 0;
            apr_proc_other_child_unregister(dp);
        }
        if (dp->running)
            kill(dp->proc.pid, SIGTERM);
        if (dp->ready_fd >= 0) {
            close(dp->ready_fd);
            dp->ready_fd = -1;
        }
    }
    if (!exiting)
        return APR_SUCCESS;     /* they drain the old children's requests; the MPM reaps them */
    do {
        left = 0;
        for (i = 0; i < rt->processes; i++) {
            wx_dproc *dp = &rt->procs[i];
            if (dp->running) {
                /* at exit the MPM may have left SIGCHLD ignored: then waitpid says ECHILD
                 * while the process still runs */
                pid_t w = waitpid(dp->proc.pid, NULL, WNOHANG);
                if (w == 0 || (w < 0 && errno == ECHILD && kill(dp->proc.pid, 0) == 0))
                    left++;
                else
                    dp->running = 0;
            }
        }
        if (left)
            apr_sleep(apr_time_from_msec(20));
    } while (left && apr_time_now() < deadline);
    for (i = 0; i < rt->processes; i++) {
        wx_dproc *dp = &rt->procs[i];
        if (dp->running) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, rt->s, "mod_wsgi_ext: daemon process %d "
                         "of group '%s' (pid %" APR_PID_T_FMT ") did not stop within "
                         "shutdown-timeout=%d s; killed", i, rt->d->name, dp->proc.pid,
                         rt->shutdown_timeout);
            kill(dp->proc.pid, SIGKILL);
            waitpid(dp->proc.pid, NULL, WNOHANG);
            dp->running = 0;
        }
    }
    return APR_SUCCESS;
}

static void add_import(apr_pool_t *p, wx_daemon_rt *rt, const wx_mount *m)
{
    const char *g = m->application_group;
    if (!m->process_group || !g || strcmp(m->process_group, rt->d->name) || m->regex)
        return;
    if (!strcmp(g, "%{GLOBAL}"))
        g = "";
    else if (g[0] == '%')
        return;
    *(const char **)apr_array_push(rt->args) = "--import";
    *(const char **)apr_array_push(rt->args) = m->path;
    *(const char **)apr_array_push(rt->args) = g;
}

static const char *setup_group(apr_pool_t *p, server_rec *s, wx_daemon *d)
{
    wx_daemon_rt *rt = apr_pcalloc(p, sizeof(*rt));
    const char *v, *pkg = package_dir(p), *err;
    static const char *const passed[] = {
        "maximum-requests", "request-timeout", "inactivity-timeout", "graceful-timeout",
        "shutdown-timeout", "startup-timeout", "queue-timeout", "deadlock-timeout",
        "restart-interval", "display-name", "lang", "locale", "python-path", NULL};
    struct passwd *pw;
    server_rec *vs;
    int i, n = 64;
    d->rt = rt;
    rt->d = d;
    rt->s = s;
    rt->fd = -1;
    rt->processes = (int)optl(d, "processes", 1);
    rt->threads = (int)optl(d, "threads", 15);
    rt->backlog = (int)optl(d, "listen-backlog", 100);
    rt->shutdown_timeout = (int)optl(d, "shutdown-timeout", 5);
    rt->connect_timeout = apr_time_from_sec(optl(d, "connect-timeout", 15));
    rt->socket_timeout = opt(d, "socket-timeout") && optl(d, "socket-timeout", 0)
                         ? apr_time_from_sec(optl(d, "socket-timeout", 0)) : s->timeout;
    /* who the processes run as: as root the group's user/group (default Apache's User/Group),
     * else whoever Apache runs as */
    rt->uid = ap_unixd_config.user_id;
    rt->gid = ap_unixd_config.group_id;
    if ((v = opt(d, "user"))) {
        pw = v[0] == '#' ? getpwuid((uid_t)atol(v + 1)) : getpwnam(v);
        if (pw) {
            rt->uid = pw->pw_uid;
            if (!opt(d, "group"))
                rt->gid = pw->pw_gid;
        }
    }
    if ((v = opt(d, "group"))) {
        struct group *gr = v[0] == '#' ? getgrgid((gid_t)atol(v + 1)) : getgrnam(v);
        if (gr)
            rt->gid = gr->gr_gid;
    }
    if (geteuid() != 0) {
        rt->uid = geteuid();
        rt->gid = getegid();
    }
    if (geteuid() == 0 && rt->uid == 0)
        return apr_psprintf(p, "WSGIDaemonProcess %s (line %d of %s) would run as root; set "
                            "user= or Apache's User to an unprivileged user", d->name, d->line,
                            d->file);
    pw = getpwuid(rt->uid);
    rt->groups[0] = rt->gid;
    rt->ngroups = 1;
    if (pw && getgrouplist(pw->pw_name, rt->gid, rt->groups, &n) >= 0)
        rt->ngroups = n;
    rt->home = opt(d, "home") ? opt(d, "home") : pw && pw->pw_dir ? apr_pstrdup(p, pw->pw_dir)
                                                                   : "/";
    if ((v = opt(d, "python-home"))) {
        apr_finfo_t fi;
        rt->python = apr_pstrcat(p, v, "/bin/python3", NULL);
        if (apr_stat(&fi, rt->python, APR_FINFO_TYPE, p) != APR_SUCCESS)
            rt->python = apr_pstrcat(p, v, "/bin/python", NULL);
    }
    else
        rt->python = WX_BUILD_PYTHON;
    if (!pkg)
        return "cannot find the mod_wsgi_ext package directory";
    rt->main_py = apr_pstrcat(p, pkg, "daemon/__main__.py", NULL);
    rt->args = apr_array_make(p, 16, sizeof(char *));
#define PUSH(x) (*(const char **)apr_array_push(rt->args) = (x))
    PUSH("--processes"); PUSH(apr_itoa(p, rt->processes));
    PUSH("--threads"); PUSH(apr_itoa(p, rt->threads));
    PUSH("--peer-uid"); PUSH(apr_itoa(p, (int)(geteuid() == 0 ? ap_unixd_config.user_id
                                                              : geteuid())));
    PUSH("--log-level"); PUSH(apr_itoa(p, s->log.level));
    PUSH("--server-version"); PUSH(ap_get_server_banner());
    {   /* for the apache module the daemon's applications import, as mod_wsgi gives it */
        int threaded = 0, daemons = 0, threads = 0;
        ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
        ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
        ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
        PUSH("--apache-description"); PUSH(ap_get_server_description());
        PUSH("--apache-built"); PUSH(ap_get_server_built());
        PUSH("--apache-mpm"); PUSH(ap_show_mpm());
        PUSH("--apache-processes"); PUSH(apr_itoa(p, daemons));
        PUSH("--apache-threads");
        PUSH(apr_itoa(p, threaded != AP_MPMQ_NOT_SUPPORTED && threads > 0 ? threads : 1));
    }
    PUSH("--socket-timeout"); PUSH(apr_itoa(p, (int)apr_time_sec(rt->socket_timeout)));
    if ((v = opt(d, "umask"))) {
        PUSH("--umask");
        PUSH(apr_itoa(p, (int)strtol(v, NULL, 8)));
    }
    for (i = 0; passed[i]; i++)
        if ((v = opt(d, passed[i]))) {
            PUSH(apr_pstrcat(p, "--", passed[i], NULL));
            PUSH(!strcmp(passed[i], "display-name") && !strcmp(v, "%{GROUP}")
                 ? apr_pstrcat(p, "(wsgi:", d->name, ")", NULL) : v);
        }
#undef PUSH
    for (vs = s; vs; vs = vs->next) {
        wx_server_config *sc = ap_get_module_config(vs->module_config, &wsgi_ext_module);
        for (i = 0; i < sc->imports->nelts; i++)
            add_import(p, rt, &((wx_mount *)sc->imports->elts)[i]);
        if (vs == s || sc->aliases != ((wx_server_config *)ap_get_module_config(
                                           s->module_config, &wsgi_ext_module))->aliases)
            for (i = 0; i < sc->aliases->nelts; i++)
                add_import(p, rt, &((wx_mount *)sc->aliases->elts)[i]);
    }
    if (apr_generate_random_bytes(rt->secret, WX_SECRET_LEN) != APR_SUCCESS)
        return "no random bytes for the daemon secret";
    if ((err = make_socket(p, s, rt)))
        return apr_psprintf(p, "WSGIDaemonProcess %s: %s", d->name, err);
    apr_pool_cleanup_register(p, rt, close_socket, apr_pool_cleanup_null);
    rt->procs = apr_pcalloc(p, sizeof(wx_dproc) * rt->processes);
    for (i = 0; i < rt->processes; i++) {
        rt->procs[i].rt = rt;
        rt->procs[i].index = i;
        rt->procs[i].pconf = p;
        rt->procs[i].ready_fd = -1;
    }
    return NULL;
}

static int wx_daemon_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s)
{
    apr_array_header_t *list = wx_daemon_list(pconf);
    apr_hash_t *warned;
    int i, j;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    unlink_stale(s, 0);
    if (!list->nelts)
        return OK;
    warned = apr_hash_make(ptemp);
    for (i = 0; i < list->nelts; i++) {
        wx_daemon *d = ((wx_daemon **)list->elts)[i];
        const apr_array_header_t *arr = apr_table_elts(d->opts);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        const char *err;
        for (j = 0; j < arr->nelts; j++) {
            static const char *const effect[] = {
                "processes", "threads", "user", "group", "home", "python-home", "python-path",
                "display-name", "maximum-requests", "request-timeout", "inactivity-timeout",
                "graceful-timeout", "shutdown-timeout", "startup-timeout", "queue-timeout",
                "socket-timeout", "connect-timeout", "deadlock-timeout", "restart-interval",
                "listen-backlog", "umask", "lang", "locale", "server-metrics", NULL};
            int k, known = 0;
            for (k = 0; effect[k]; k++)
                known |= !strcmp(effect[k], e[j].key);
            if (!known && !apr_hash_get(warned, e[j].key, APR_HASH_KEY_STRING)) {
                apr_hash_set(warned, e[j].key, APR_HASH_KEY_STRING, e[j].key);
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_wsgi_ext: WSGIDaemonProcess "
                             "option %s is accepted for mod_wsgi compatibility; no effect",
                             e[j].key);
            }
        }
        if ((err = setup_group(pconf, s, d))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_wsgi_ext: %s", err);
            return !OK;
        }
    }
    /* the processes start once every socket exists; stop_group runs before close_socket */
    for (i = 0; i < list->nelts; i++) {
        wx_daemon_rt *rt = (((wx_daemon **)list->elts)[i])->rt;
        apr_pool_cleanup_register(pconf, rt, stop_group, apr_pool_cleanup_null);
        for (j = 0; j < rt->processes; j++)
            spawn(&rt->procs[j], 0);
    }
    return OK;
}

/* apache2 -t and every start: a literal group name must be defined */
static int wx_daemon_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    apr_array_header_t *refs = wx_group_refs(pconf);
    int i;
    for (i = 0; i < refs->nelts; i++) {
        wx_group_ref *ref = &((wx_group_ref *)refs->elts)[i];
        if (!wx_daemon_find(pconf, ref->name)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "Syntax error on line %d of %s: %s: no "
                         "WSGIDaemonProcess defines the process group '%s'", ref->line,
                         ref->file, ref->directive, ref->name);
            return !OK;
        }
    }
    return OK;
}


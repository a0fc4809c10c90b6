/* interp.c -- Python start-up in an Apache child and the interpreter groups.
 *
 * Python starts in child_init only (never in the parent, which re-reads the configuration and
 * reloads this module on every restart).  Application group "" is the main interpreter, entered
 * with PyGILState_Ensure so that C extensions relying on the GILState API work there.  Every other
 * group is a sub-interpreter created on first use; a thread enters it by swapping in a thread state
 * of its own for that interpreter while holding the GIL (cffi callbacks and other GILState users
 * are bound to the main interpreter, so dispatch never goes through them).
 */
#include "wx.h"
#include "ap_listen.h"

enum { WX_I_CREATING, WX_I_READY, WX_I_FAILED };

struct wx_interp {
    const char *name;
    int index;                 /* 0 is the main interpreter */
    int state;                 /* WX_I_*; written with the GIL and wx_create_lock held */
    PyInterpreterState *interp;
    PyObject *module;          /* mod_wsgi_ext.runtime.embedded in that interpreter */
    PyObject *handle;          /* its handle(), looked up once: the per-request entry point */
};

const char *wx_python_failure = "Python has not been started in this process";

/* Everything below is only touched with the GIL held (wx_ipool is a pool of our own, so that
 * allocating from it never races with Apache's threads allocating from the child's pool). */
static apr_pool_t *wx_ipool;
static apr_hash_t *wx_interps;          /* name -> wx_interp* (READY, CREATING or FAILED) */
static wx_interp **wx_interp_list;      /* READY interpreters in creation order */
static int wx_ninterps, wx_interp_cap, wx_nslots;
static const char *wx_python_path;      /* '\n' separated WSGIPythonPath */

/* Setting up a sub-interpreter runs Python (imports), which lets other threads take the GIL: a
 * thread asking for a group another thread is still creating waits here, without the GIL, instead
 * of creating the group a second time. */
static pthread_mutex_t wx_create_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wx_created = PTHREAD_COND_INITIALIZER;

static __thread PyThreadState **wx_tls;  /* per thread: thread state per interpreter slot */
static __thread int wx_tls_n;
static __thread int wx_depth;            /* this thread is between wx_enter and wx_leave */
static __thread PyThreadState *wx_pinned;   /* this thread's main thread state, kept for good */
static __thread wx_interp *wx_last;      /* the sub-interpreter this thread entered last */
static pthread_key_t wx_thread_key;      /* its destructor deletes them when the thread exits */
static pthread_once_t wx_thread_key_once = PTHREAD_ONCE_INIT;

void wx_log_python_error(request_rec *r, server_rec *s, const char *what)
{
    /* format the pending exception with traceback and log it line by line */
    PyObject *type, *value, *tb, *mod = NULL, *lines = NULL, *text = NULL;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    mod = PyImport_ImportModule("traceback");
    if (mod)
        lines = PyObject_CallMethod(mod, "format_exception", "OOO", type ? type : Py_None,
                                    value ? value : Py_None, tb ? tb : Py_None);
    if (lines) {
        PyObject *empty = PyUnicode_FromString(""), *joined;
        joined = empty ? PyUnicode_Join(empty, lines) : NULL;
        /* bytes, with lone surrogates (undecodable file names) escaped rather than failing */
        text = joined ? PyUnicode_AsEncodedString(joined, "utf-8", "backslashreplace") : NULL;
        Py_XDECREF(empty);
        Py_XDECREF(joined);
    }
    {
        const char *t = text ? PyBytes_AS_STRING(text) : NULL;
        char *copy = strdup(t ? t : "(no traceback available)"), *line, *state;
        if (r)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s", what);
        else
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "%s", what);
        for (line = copy ? strtok_r(copy, "\n", &state) : NULL; line;
             line = strtok_r(NULL, "\n", &state)) {
            if (r)
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s", line);
            else
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "%s", line);
        }
        free(copy);
    }
    PyErr_Clear();
    Py_XDECREF(mod); Py_XDECREF(lines); Py_XDECREF(text);
    Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
}

/* Set up a fresh interpreter (current thread state belongs to it): our bridge module, then the
 * Python runtime module.  Returns the runtime module or NULL with a Python error set. */
static PyObject *setup_interpreter(const char *name)
{
    PyObject *sysmods = PyImport_GetModuleDict(), *bridge, *mod, *res, *path, *pyname;
    bridge = wx_apache_module_new();
    if (!bridge || PyDict_SetItemString(sysmods, "mod_wsgi_ext._apache", bridge) < 0) {
        Py_XDECREF(bridge);
        return NULL;
    }
    Py_DECREF(bridge);
    mod = PyImport_ImportModule("mod_wsgi_ext.runtime.embedded");
    if (!mod)
        return NULL;
    path = PyUnicode_DecodeFSDefault(wx_python_path ? wx_python_path : "");
    /* a group name may come from the request (%{RESOURCE}, %{HOST}, %{ENV:}): any bytes, read as
     * latin-1 as the environ reads it, never a decoding error */
    pyname = path ? PyUnicode_DecodeLatin1(name, strlen(name), NULL) : NULL;
    res = pyname ? PyObject_CallMethod(mod, "init_interpreter", "OO", pyname, path) : NULL;
    Py_XDECREF(pyname);
    Py_XDECREF(path);
    if (!res) {
        Py_DECREF(mod);
        return NULL;
    }
    Py_DECREF(res);
    return mod;
}

/* This thread's thread state for the interpreter in slot index, made on first use; NULL when out
 * of memory. */
static PyThreadState *thread_state_for(wx_interp *ip)
{
    PyThreadState *ts;
    int index = ip->index;
    if (index < wx_tls_n && wx_tls[index])
        return wx_tls[index];
    if (index >= wx_tls_n) {
        int n = index + 8;
        PyThreadState **a = realloc(wx_tls, n * sizeof(*a));
        if (!a)
            return NULL;
        memset(a + wx_tls_n, 0, (n - wx_tls_n) * sizeof(*a));
        wx_tls = a;
        wx_tls_n = n;
    }
    ts = PyThreadState_New(ip->interp);
    if (ts)
        wx_tls[index] = ts;
    return ts;
}

static void set_state(wx_interp *ip, int state)
{
    pthread_mutex_lock(&wx_create_lock);
    ip->state = state;
    pthread_cond_broadcast(&wx_created);
    pthread_mutex_unlock(&wx_create_lock);
}

/* A READY interpreter joins the list that child_exit walks. */
static void list_interp(wx_interp *ip)
{
    if (wx_ninterps == wx_interp_cap) {
        int cap = wx_interp_cap ? 2 * wx_interp_cap : 8;
        wx_interp **a = realloc(wx_interp_list, cap * sizeof(*a));
        if (!a)
            return;     /* no shutdown callbacks for it: better than no interpreter */
        wx_interp_list = a;
        wx_interp_cap = cap;
    }
    wx_interp_list[wx_ninterps++] = ip;
}

static wx_interp *add_interp(const char *name, PyInterpreterState *is, PyObject *module)
{
    wx_interp *ip = apr_pcalloc(wx_ipool, sizeof(*ip));
    ip->name = apr_pstrdup(wx_ipool, name);
    ip->interp = is;
    ip->module = module;
    ip->handle = PyObject_GetAttrString(module, "handle");
    if (!ip->handle)
        PyErr_Clear();         /* wx_interp_func looks it up per call then, and reports */
    ip->index = wx_nslots++;
    ip->state = WX_I_READY;
    list_interp(ip);
    apr_hash_set(wx_interps, ip->name, APR_HASH_KEY_STRING, ip);
    return ip;
}

/* With the GIL held by this thread's main-interpreter thread state.  A failure is remembered in
 * the group's entry (state WX_I_FAILED): the group is not tried again in this process. */
static wx_interp *create_sub(const char *name, apr_pool_t *p, const char **err)
{
    PyThreadState *main_ts = PyThreadState_Get(), *sub;
    PyObject *mod;
    wx_interp *ip = apr_pcalloc(wx_ipool, sizeof(*ip));
    ip->name = apr_pstrdup(wx_ipool, name);
    ip->index = wx_nslots++;
    apr_hash_set(wx_interps, ip->name, APR_HASH_KEY_STRING, ip);
    set_state(ip, WX_I_CREATING);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf, "mod_wsgi_ext (pid=%d): creating "
                 "Python interpreter '%s'", (int)getpid(), name);
    sub = Py_NewInterpreter();
    if (!sub) {
        PyThreadState_Swap(main_ts);
        set_state(ip, WX_I_FAILED);
        *err = apr_psprintf(p, "could not create the Python sub-interpreter '%s'", name);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf, "mod_wsgi_ext: %s", *err);
        return NULL;
    }
    mod = setup_interpreter(name);
    if (!mod) {
        wx_log_python_error(NULL, ap_server_conf,
                            apr_psprintf(p, "mod_wsgi_ext: setting up interpreter '%s' failed",
                                         name));
        Py_EndInterpreter(sub);
        PyThreadState_Swap(main_ts);
        set_state(ip, WX_I_FAILED);
        *err = apr_psprintf(p, "setting up the Python interpreter '%s' failed", name);
        return NULL;
    }
    ip->interp = sub->interp;
    ip->module = mod;
    ip->handle = PyObject_GetAttrString(mod, "handle");
    if (!ip->handle)
        PyErr_Clear();         /* wx_interp_func looks it up per call then, and reports */
    /* The interpreter's first thread state stays parked, used by no thread (this one makes its
     * own on entry): thread_exit() deletes a leaving thread's states, and a sub-interpreter whose
     * thread list became empty would hand out its built-in first state again, which Python 3.11
     * treats as a fatal error ("thread state already initialized"). */
    PyThreadState_Swap(main_ts);
    list_interp(ip);
    set_state(ip, WX_I_READY);
    return ip;
}

/* A thread that ran Python is exiting (MPM worker threads live as long as the child, but mod_http2's
 * workers come and go): delete the thread states it kept, one per interpreter it entered, which
 * would otherwise stay in their interpreters for good.  Not once the child is shutting down. */
static void thread_exit(void *unused)
{
    PyThreadState *main_ts = wx_pinned;
    int i;
    if (!main_ts || wx_depth || wx_python_failure)
        return;
    /* not PyGILState_*: Python's own thread key has already been cleared for this thread */
    PyEval_RestoreThread(main_ts);
    for (i = 1; i < wx_tls_n; i++) {
        PyThreadState *ts = wx_tls[i];
        if (!ts)
            continue;
        PyThreadState_Swap(ts);          /* its thread-local data is freed in its interpreter */
        PyThreadState_Clear(ts);
        PyThreadState_Swap(main_ts);
        PyThreadState_Delete(ts);
    }
    free(wx_tls);
    wx_tls = NULL;
    wx_tls_n = 0;
    wx_last = NULL;
    wx_pinned = NULL;
    PyThreadState_Clear(main_ts);
    PyThreadState_DeleteCurrent();       /* and gives the GIL back */
}

static void make_thread_key(void)
{
    pthread_key_create(&wx_thread_key, thread_exit);
}

/* Wait, without the GIL, until another thread has finished creating ip; its final state. */
static int wait_created(wx_interp *ip)
{
    int state;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&wx_create_lock);
    while (ip->state == WX_I_CREATING)
        pthread_cond_wait(&wx_created, &wx_create_lock);
    state = ip->state;
    pthread_mutex_unlock(&wx_create_lock);
    Py_END_ALLOW_THREADS
    return state;
}

wx_interp *wx_enter(const char *group, wx_entered *st, apr_pool_t *p, const char **err)
{
    wx_interp *ip;
    /* counted from before the GIL is asked for: prefork's SIGTERM handler (child_exit) must not
     * run Python when it interrupted this thread anywhere between here and wx_leave's end */
    wx_depth++;
    st->prev = NULL;
    st->direct = NULL;
    /* Again in the sub-interpreter this thread entered last: wait for the GIL with its own thread
     * state.  Waiting under the main interpreter's (PyGILState_Ensure, then a swap) asks only the
     * main interpreter's threads to let the GIL go (Python 3.11 keeps that request per
     * interpreter): one thread of the sub-interpreter running Python without blocking (a CPU-bound
     * background thread) then kept it for good, and every request of the process hung. */
    ip = wx_last;
    if (ip && wx_pinned && !wx_python_failure && !strcmp(ip->name, group)) {
        st->direct = wx_tls[ip->index];
        PyEval_RestoreThread(st->direct);
        return ip;
    }
    st->gil = PyGILState_Ensure();
    if (!wx_pinned) {
        /* Keep this thread's main thread state for good (a second Ensure that is never released):
         * otherwise every Release deletes it and the next request builds a new one, losing the
         * thread's threading.local() data in the main interpreter each time. */
        (void)PyGILState_Ensure();
        wx_pinned = PyThreadState_Get();
        pthread_once(&wx_thread_key_once, make_thread_key);
        pthread_setspecific(wx_thread_key, &wx_pinned);
    }
    ip = apr_hash_get(wx_interps, group, APR_HASH_KEY_STRING);
    if (ip && ip->state == WX_I_CREATING && wait_created(ip) == WX_I_FAILED) {
        /* the creation this thread waited for failed (and was logged): fail the same way */
        *err = apr_psprintf(p, "setting up the Python interpreter '%s' failed", group);
        ip = NULL;
        goto failed;
    }
    if (ip && ip->state == WX_I_FAILED) {
        /* Setting the group up failed in this process, and its traceback was logged then: the
         * causes (WSGIPythonPath, a broken .pth file, the runtime) do not go away by themselves,
         * and a new attempt per request costs a sub-interpreter each time.  New processes (a
         * graceful restart) try again. */
        *err = apr_psprintf(p, "the Python interpreter '%s' could not be set up in this process "
                            "(the error was logged when it first failed); fix the cause and "
                            "restart Apache gracefully (apachectl graceful)", group);
        ip = NULL;
        goto failed;
    }
    if (!ip && !(ip = create_sub(group, p, err)))
        goto failed;
    if (ip->index > 0) {
        PyThreadState *ts = thread_state_for(ip);
        if (!ts) {
            *err = apr_psprintf(p, "out of memory entering the Python interpreter '%s'", group);
            ip = NULL;
            goto failed;
        }
        st->prev = PyThreadState_Swap(ts);
        wx_last = ip;
    }
    return ip;
failed:
    PyGILState_Release(st->gil);
    wx_depth--;
    return NULL;
}

void wx_leave(wx_entered *st)
{
    if (st->direct) {
        PyEval_SaveThread();
        wx_depth--;
        return;
    }
    if (st->prev)
        PyThreadState_Swap(st->prev);
    PyGILState_Release(st->gil);
    wx_depth--;
}

PyObject *wx_interp_func(wx_interp *ip, const char *name)
{
    if (ip->handle && !strcmp(name, "handle")) {
        Py_INCREF(ip->handle);
        return ip->handle;
    }
    return ip->module ? PyObject_GetAttrString(ip->module, name) : NULL;
}

/* ------------------------------------------------------------------ start-up */

extern int wx_py_boot(void);   /* cffi extern "Python": runs the embedding init code */

/* Shutdown callbacks and atexit handlers of every interpreter, newest first (shutdown.c calls
 * it, on its own thread, when the child exits). */
void wx_run_shutdown(void)
{
    int i;
    for (i = wx_ninterps - 1; i >= 0; i--) {
        wx_entered st;
        const char *err = NULL;
        wx_interp *ip = wx_enter(wx_interp_list[i]->name, &st, wx_ipool, &err);
        if (!ip)
            continue;
        PyObject *res = PyObject_CallMethod(ip->module, "shutdown", NULL);
        if (!res) {
            char what[300];   /* not from wx_ipool: its cleanups are running */
            apr_snprintf(what, sizeof(what), "mod_wsgi_ext: shutdown of interpreter '%s' failed",
                         ip->name);
            wx_log_python_error(NULL, ap_server_conf, what);
        }
        Py_XDECREF(res);
        wx_leave(&st);
    }
}

/* This thread is inside Python: between wx_enter and wx_leave, or holding the GIL (an
 * application thread a signal interrupted).  Async-signal-safe. */
int wx_thread_in_python(void)
{
    PyThreadState *t = _PyThreadState_UncheckedGet();
    return wx_depth || (t && t->thread_id == PyThread_get_thread_ident());
}

/* The pool the interpreter records live in: its memory is freed only after its cleanups ran
 * (the child pool destroys its sub-pools before running its own cleanups). */
apr_pool_t *wx_interp_pool(void)
{
    return wx_ipool;
}

static const char *program_for_home(apr_pool_t *p, const char *home, int *is_venv)
{
    apr_finfo_t fi;
    const char *cands[] = {"bin/python3", "bin/python", NULL};
    int i;
    *is_venv = apr_stat(&fi, apr_pstrcat(p, home, "/pyvenv.cfg", NULL), APR_FINFO_TYPE, p)
               == APR_SUCCESS;
    for (i = 0; cands[i]; i++) {
        const char *exe = apr_pstrcat(p, home, "/", cands[i], NULL);
        if (apr_stat(&fi, exe, APR_FINFO_TYPE, p) == APR_SUCCESS)
            return exe;
    }
    return NULL;
}

/* Why the cffi boot failed (cffi printed its own report on stderr): import what it needs again
 * and say which import fails, in which Python. */
static const char *boot_failure(apr_pool_t *p)
{
    PyGILState_STATE g = PyGILState_Ensure();
    const char *why = "its initialisation code failed (see the report printed on stderr)";
    const char *prefix = "?";
    PyObject *mod, *sysprefix = PySys_GetObject("prefix");   /* borrowed */
    if (sysprefix && PyUnicode_Check(sysprefix)) {
        const char *t = PyUnicode_AsUTF8(sysprefix);
        if (t)
            prefix = apr_pstrdup(p, t);
        else
            PyErr_Clear();
    }
    mod = PyImport_ImportModule("_cffi_backend");
    if (mod) {
        Py_DECREF(mod);
        mod = PyImport_ImportModule("mod_wsgi_ext.runtime.process");
    }
    if (mod)
        Py_DECREF(mod);
    else {
        PyObject *type, *value, *tb, *text;
        PyErr_Fetch(&type, &value, &tb);
        text = value ? PyObject_Str(value) : NULL;
        why = apr_psprintf(p, "%s: %s", type ? ((PyTypeObject *)type)->tp_name : "error",
                           text && PyUnicode_Check(text) ? PyUnicode_AsUTF8(text) : "?");
        PyErr_Clear();
        Py_XDECREF(text); Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
    }
    PyGILState_Release(g);
    return apr_psprintf(p, "the mod_wsgi_ext Python package failed to initialise in the Python "
                        "at %s: %s; WSGIPythonHome must name the Python environment mod_wsgi_ext is "
                        "installed in ('mod-wsgi-ext module-config' prints it)", prefix, why);
}

void wx_start_python(apr_pool_t *p, server_rec *s)
{
    wx_server_config *sc = ap_get_module_config(s->module_config, &wsgi_ext_module);
    const char *home = sc->sv[WX_SS_PYTHON_HOME], *program = WX_BUILD_PYTHON;
    PyConfig config;
    PyStatus status;
    PyObject *mod;
    int is_venv = 0, rc;

    {
        /* a pool and allocator of our own, used with the GIL held only (see wx_ipool) */
        apr_allocator_t *alloc = NULL;
        apr_allocator_create(&alloc);
        apr_pool_create_ex(&wx_ipool, p, NULL, alloc);
        apr_allocator_owner_set(alloc, wx_ipool);
        apr_pool_tag(wx_ipool, "wsgi_ext_interpreters");
    }
    wx_interps = apr_hash_make(wx_ipool);
    wx_python_path = sc->sv[WX_SS_PYTHON_PATH];

    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    if (sc->iv[WX_SS_PYTHON_OPTIMIZE] != WX_UNSET)
        config.optimization_level = sc->iv[WX_SS_PYTHON_OPTIMIZE];
    if (home) {
        const char *exe = program_for_home(p, home, &is_venv);
        if (exe)
            program = exe;
        if (!is_venv) {
            status = PyConfig_SetBytesString(&config, &config.home, home);
            if (PyStatus_Exception(status))
                goto failed;
        }
    }
    status = PyConfig_SetBytesString(&config, &config.program_name, program);
    if (PyStatus_Exception(status))
        goto failed;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        goto failed;
    PyConfig_Clear(&config);
    PyEval_SaveThread();

    rc = wx_py_boot();
    if (rc != WX_BOOT_SENTINEL) {
        wx_python_failure = boot_failure(p);
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_wsgi_ext: %s", wx_python_failure);
        return;
    }

    {
        PyGILState_STATE g = PyGILState_Ensure();
        mod = wx_request_type_ready() == 0 ? setup_interpreter("") : NULL;
        if (!mod) {
            wx_log_python_error(NULL, s, "mod_wsgi_ext: setting up the main interpreter failed");
            wx_python_failure = "setting up the main Python interpreter failed (traceback logged "
                                "at start-up)";
            PyGILState_Release(g);
            return;
        }
        add_interp("", PyInterpreterState_Main(), mod);
        PyGILState_Release(g);
    }
    wx_python_failure = NULL;
    return;

failed:
    wx_python_failure = apr_psprintf(p, "Python could not start (program %s%s%s): %s%s%s", program,
                                     home ? ", WSGIPythonHome " : "", home ? home : "",
                                     status.func ? status.func : "",
                                     status.func ? ": " : "",
                                     status.err_msg ? status.err_msg : "unknown error");
    if (home && !is_venv) {
        apr_finfo_t fi;
        const char *os_py = apr_psprintf(p, "%s/lib/python%d.%d/os.py", home, PY_MAJOR_VERSION,
                                         PY_MINOR_VERSION);
        if (apr_stat(&fi, os_py, APR_FINFO_TYPE, p) != APR_SUCCESS)
            wx_python_failure = apr_psprintf(p, "%s; WSGIPythonHome must be the prefix of a Python "
                                             "%d.%d installation or virtual environment, and %s "
                                             "has no standard library (%s is missing)",
                                             wx_python_failure, PY_MAJOR_VERSION, PY_MINOR_VERSION,
                                             home, os_py);
    }
    PyConfig_Clear(&config);
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_wsgi_ext: %s", wx_python_failure);
}

/* The port a request to server s most likely names (for %{SERVER} at start-up, when there is no
 * request): ServerName's port, else the virtual host's address, else the first Listen. */
static apr_port_t guess_port(server_rec *s)
{
    if (s->port)
        return s->port;
    if (s->is_virtual && s->addrs && s->addrs->host_port)
        return s->addrs->host_port;
    if (ap_listeners && ap_listeners->bind_addr)
        return ap_listeners->bind_addr->port;
    return 0;
}

/* The interpreter a preloaded script goes to, or NULL when that depends on the request. */
static const char *preload_group(apr_pool_t *p, server_rec *s, const wx_mount *m, int is_import)
{
    const char *g = m->application_group;
    if (!strcmp(g, "%{GLOBAL}"))
        return "";
    if (is_import && !strcmp(g, "%{SERVER}")) {
        apr_port_t port = guess_port(s);
        if (port && port != DEFAULT_HTTP_PORT && port != DEFAULT_HTTPS_PORT)
            return apr_psprintf(p, "%s:%u", s->server_hostname, port);
        return s->server_hostname;
    }
    if (!strncmp(g, "%{", 2))
        return NULL;
    return g;
}

/* WSGIImportScript with process-group %{GLOBAL}, and WSGIScriptAlias(Match) mounts naming both
 * groups with process-group %{GLOBAL} (as mod_wsgi: not when a group depends on the request, nor
 * when the target of a WSGIScriptAliasMatch has $N substitutions): import them now, before the
 * process serves a request. */
void wx_preload_scripts(apr_pool_t *p, server_rec *main_s)
{
    server_rec *s;
    apr_hash_t *done = apr_hash_make(p);   /* virtual hosts inherit the main server's mounts */
    if (wx_python_failure)
        return;
    for (s = main_s; s; s = s->next) {
        wx_server_config *sc = ap_get_module_config(s->module_config, &wsgi_ext_module);
        int pass;
        for (pass = 0; pass < 2; pass++) {
            apr_array_header_t *arr = pass ? sc->aliases : sc->imports;
            int i;
            for (i = 0; i < arr->nelts; i++) {
                wx_mount *m = &((wx_mount *)arr->elts)[i];
                const char *group, *key, *err = NULL;
                wx_entered st;
                wx_interp *ip;
                PyObject *res;
                if (!m->process_group || !m->application_group)
                    continue;
                if (m->regex && strchr(m->path, '$'))
                    continue;
                if (strcmp(m->process_group, "%{GLOBAL}"))
                    continue;
                if (!(group = preload_group(p, s, m, !pass)))
                    continue;
                key = apr_pstrcat(p, group, "\n", m->path, NULL);
                if (apr_hash_get(done, key, APR_HASH_KEY_STRING))
                    continue;
                apr_hash_set(done, key, APR_HASH_KEY_STRING, "");
                ip = wx_enter(group, &st, p, &err);
                if (!ip) {
                    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "mod_wsgi_ext: cannot preload '%s': %s",
                                 m->path, err);
                    continue;
                }
                res = PyObject_CallMethod(ip->module, "preload", "si", m->path, pass);
                if (!res)
                    wx_log_python_error(NULL, s, apr_psprintf(p, "mod_wsgi_ext: preloading '%s' "
                                                              "failed", m->path));
                Py_XDECREF(res);
                wx_leave(&st);
            }
        }
    }
}

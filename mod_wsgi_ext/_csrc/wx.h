/* wx.h -- shared declarations of the C side of mod_wsgi_ext.
 *
 * The C side owns the plumbing: the module struct and hooks (module.c), configuration storage and
 * the generic directive handler (config.c), Python start-up and interpreter groups (interp.c), and
 * the per-request bridge object plus the environ builder (request.c).  Everything with meaning
 * (the WSGI protocol, script loading, logging policy) lives in Python under mod_wsgi_ext/.
 */
#ifndef WX_H
#define WX_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "util_filter.h"
#include "ap_mpm.h"
#include "ap_regex.h"
#include "ap_release.h"
#include "unixd.h"
#include "apr_strings.h"
#include "apr_tables.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_network_io.h"
#include "apr_buckets.h"
#include "apr_atomic.h"
#include "apr_file_io.h"
#include "apr_portable.h"

#include <sys/stat.h>
#include <unistd.h>
#include <pwd.h>
#include <grp.h>
#include <dlfcn.h>
#include <pthread.h>

extern module AP_MODULE_DECLARE_DATA wsgi_ext_module;
APLOG_USE_MODULE(wsgi_ext);

#define WX_UNSET (-1)
/* the mod_wsgi release whose behaviour is matched (mod_wsgi.version; compat/modules.py) */
#define WX_MOD_WSGI_MAJOR 6
#define WX_MOD_WSGI_MINOR 1
#define WX_MOD_WSGI_MICRO 1
#define WX_BOOT_SENTINEL 0x5EED

/* ---- directive specs (table generated from mod_wsgi_ext/config/registry.py) ---- */
enum wx_kind {
    WX_K_FLAG, WX_K_ENUM, WX_K_INT, WX_K_STR, WX_K_GROUP, WX_K_PGROUP, WX_K_DIRPATH,
    WX_K_PATHLIST, WX_K_HEADERS, WX_K_NETS, WX_K_ALIAS, WX_K_ALIASMATCH, WX_K_HANDLER,
    WX_K_IMPORT, WX_K_COMPAT,
    WX_K_SCRIPT,       /* PATH [application-group=A] into a per-directory script slot (mv[]) */
    WX_K_PHASE,        /* WSGIPhaseScript: PATH|None [options] into mv[] (path NULL: None) */
    WX_K_OPTION,       /* WSGIPhaseOption NAME VALUE into phase_options */
    WX_K_DAEMON,       /* WSGIDaemonProcess NAME [option=value ...] (wx_daemon_list) */
    /* kinds of WSGIDaemonProcess option values */
    WX_K_COUNT, WX_K_SECONDS, WX_K_OCTAL, WX_K_USER, WX_K_UNIXGROUP
};

#define WX_C_SERVER 1   /* main server config */
#define WX_C_VHOST 2    /* <VirtualHost> */
#define WX_C_DIR 4      /* <Directory>, <Location>, <Files>, <If>, <Proxy> */

typedef struct {
    const char *name;
    int kind;          /* enum wx_kind */
    int dir_scope;     /* 1: per-directory slot, 0: per-server */
    int slot;          /* index into the int or string slots (see generated enums) */
    int contexts;      /* WX_C_* bits: where the directive may appear outside .htaccess */
    const char *where; /* the same in Apache's words, for error messages */
    const char *choices;   /* for ENUM: '|' separated */
    long imin, imax;
    const char *const *opt_names;   /* NULL terminated key=value option names */
    const int *opt_kinds;
    const char *const *opt_required;
} wx_spec;

/* generated slot enums: WX_DS_* (dir), WX_SS_* (server), with WX_DS_COUNT / WX_SS_COUNT */
#include "wx_slots.h"

/* An alias-like mount (WSGIScriptAlias, WSGIScriptAliasMatch, WSGIHandlerScript, WSGIImportScript) */
typedef struct {
    const char *location;      /* URL prefix, regex source, or handler name */
    const char *path;          /* script path (may contain $N for the regex form) */
    ap_regex_t *regex;         /* WSGIScriptAliasMatch only */
    const char *process_group; /* NULL when not given */
    const char *application_group;
    const char *callable_object;
    int pass_authorization;    /* WX_UNSET when not given */
} wx_mount;

typedef struct {
    int iv[WX_DS_COUNT];            /* ints; WX_UNSET when not set */
    const char *sv[WX_DS_COUNT];    /* strings; NULL when not set */
    apr_array_header_t *handlers;   /* wx_mount, WSGIHandlerScript */
    const wx_mount *mv[WX_DS_COUNT]; /* WX_K_SCRIPT slots (path, application_group); NULL unset */
    apr_table_t *phase_options;     /* WSGIPhaseOption: name -> value ("" removes); NULL: none */
} wx_dir_config;

typedef struct {
    int iv[WX_SS_COUNT];
    const char *sv[WX_SS_COUNT];
    apr_array_header_t *aliases;    /* wx_mount: WSGIScriptAlias and WSGIScriptAliasMatch in order */
    apr_array_header_t *imports;    /* wx_mount: WSGIImportScript */
    apr_array_header_t *compat;     /* const char *: compat-only directives seen */
} wx_server_config;

/* A WSGIDaemonProcess group: parsed by config.c (one list per configuration cycle, in the config
 * pool), started and supervised by the parent and used by the forwarder in the children
 * (daemon.c). */
typedef struct wx_daemon_rt wx_daemon_rt;   /* daemon.c's run-time state of a group */
typedef struct {
    const char *name;
    const char *file;           /* where it was defined, for messages */
    int line;
    int index;                  /* position in the list */
    server_rec *server;
    apr_table_t *opts;          /* option -> value as given (validated) */
    wx_daemon_rt *rt;
} wx_daemon;

/* A literal process group named by WSGIProcessGroup or process-group=, checked at check_config */
typedef struct {
    const char *name;
    const char *directive;
    const char *file;
    int line;
} wx_group_ref;

/* config.c */
apr_array_header_t *wx_daemon_list(apr_pool_t *pconf);    /* wx_daemon *, in config order */
apr_array_header_t *wx_group_refs(apr_pool_t *pconf);     /* wx_group_ref */
wx_daemon *wx_daemon_find(apr_pool_t *pconf, const char *name);
void *wx_create_dir_config(apr_pool_t *p, char *dir);
void *wx_merge_dir_config(apr_pool_t *p, void *base, void *add);
void *wx_create_server_config(apr_pool_t *p, server_rec *s);
void *wx_merge_server_config(apr_pool_t *p, void *base, void *add);
const char *wx_cmd_generic(cmd_parms *cmd, void *mconfig, const char *args);
extern const command_rec wx_commands[];

/* interp.c */
typedef struct wx_interp wx_interp;
typedef struct {
    PyGILState_STATE gil;
    PyThreadState *prev;
    PyThreadState *direct;      /* the GIL was taken with this sub-interpreter thread state */
} wx_entered;

extern const char *wx_python_failure;   /* why Python is not available in this process, or NULL */
extern int wx_child_scripts;            /* config.c: a script that runs in the Apache child (auth,
                                         * access, dispatch, phases) is configured */
void wx_start_python(apr_pool_t *p, server_rec *s);
/* Take the GIL and enter the interpreter of group ("" is the main one), creating it on first use;
 * NULL with *err (allocated from p) when it cannot be created.  Pair with wx_leave. */
wx_interp *wx_enter(const char *group, wx_entered *st, apr_pool_t *p, const char **err);
void wx_leave(wx_entered *st);
PyObject *wx_interp_func(wx_interp *ip, const char *name);  /* new reference, or NULL */
void wx_preload_scripts(apr_pool_t *p, server_rec *s);
void wx_run_shutdown(void);           /* every interpreter's shutdown callbacks and atexit */
int wx_thread_in_python(void);        /* async-signal-safe */
apr_pool_t *wx_interp_pool(void);
void wx_log_python_error(request_rec *r, server_rec *s, const char *what);

/* request.c */
extern PyTypeObject wx_RequestType;
int wx_request_type_ready(void);
PyObject *wx_request_new(request_rec *r);
void wx_request_invalidate(PyObject *req);
int wx_request_end_broken(PyObject *req);
PyObject *wx_build_environ(request_rec *r, const char *script_name_override,  /* environ.c */
                           const char *process_group, const char *application_group,
                           const char *callable_object, int script_reloading,
                           int pass_authorization, int map_head);
int wx_environ_ready(void);                                                   /* environ.c */
const char *wx_original_uri(request_rec *r);                                 /* environ.c */
int wx_dispatch(request_rec *r, const wx_mount *ds, const char *script_name, int reloading,
                int map_head, const char *out[3]);   /* dispatch.c */
PyObject *wx_scoreboard(void);          /* scoreboard.c */
PyObject *wx_apache_module_new(void);
PyObject *wx_log_args(PyObject *args, int *level);   /* (level, text) -> UTF-8 bytes of text */
PyObject *wx_log_request(request_rec *r, PyObject *args);   /* log(level, text) for r */
PyObject *wx_request_ended(void);    /* RuntimeError: the request a bridge object held is over */

/* auth.c */
void wx_auth_register_hooks(apr_pool_t *p);
int wx_auth_type_ready(void);

/* shutdown.c */
void wx_shutdown_init(server_rec *s);

/* readable.c */
int wx_check_readable(apr_pool_t *p, server_rec *s);   /* post_config: OK or !OK (logged) */

/* phases.c, phase_auth.c (WSGIPhaseScript; what the rest of the phase files share is in phases.h) */
void wx_phases_register_hooks(apr_pool_t *p);
int wx_phase_authn(request_rec *r, int digest, const char *user, const char *arg, int *status,
                   const char **value);
int wx_phase_groups(request_rec *r, const char *require_args, int *status);
PyObject *wx_phase_request_for_app(request_rec *r, const char *group, PyObject *env, int *owned);
void wx_phase_request_release(PyObject *obj, int owned);

/* daemon.c */
void wx_daemon_register_hooks(apr_pool_t *p);
/* Serve r through daemon group `group`: stream the request there and the answer back. */
int wx_daemon_forward(request_rec *r, const char *group, const char *script,
                      const char *script_name, const char *application_group,
                      const char *callable, int reloading, int pass_authorization, int map_head,
                      int error_override, const char *proxy_headers, const char *proxies,
                      long long mtime);

/* module.c */
const char *wx_resolve_app_group(request_rec *r, const char *spec, const char *script_name);
void wx_log_server(int level, const char *msg);   /* also called from Python through cffi */

#endif

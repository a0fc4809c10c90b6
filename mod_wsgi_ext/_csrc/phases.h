/* phases.h -- what the phase files (phases.c, phase_auth.c, phase_request.c, phase_table.c)
 * share; nothing else includes it.
 */
#ifndef WX_PHASES_H
#define WX_PHASES_H

#include "mod_auth.h"

typedef struct {
    PyObject_HEAD
    request_rec *r;
    apr_os_thread_t owner;
    PyTypeObject *table_cls;    /* this interpreter's PhaseTable subclass (lives for good) */
    PyObject *tables[5];        /* made on first use; they refer back to this object */
    PyObject *phase;            /* the phase running (a str), or NULL */
    PyObject *cache;            /* runtime/phases.py's per-request look-up, or NULL */
} wx_PhaseReqObject;

typedef struct {
    PyObject_HEAD
    wx_PhaseReqObject *req;
    int which;
} wx_PhaseTableObject;

#define PREQ(self) \
    request_rec *r = ((wx_PhaseReqObject *)(self))->r; \
    if (!r || !apr_os_thread_equal(((wx_PhaseReqObject *)(self))->owner, apr_os_thread_current())) \
        return wx_phase_unusable((wx_PhaseReqObject *)(self))
#define PREQ_SET(self) \
    request_rec *r = ((wx_PhaseReqObject *)(self))->r; \
    if (!r || !apr_os_thread_equal(((wx_PhaseReqObject *)(self))->owner, apr_os_thread_current())) { \
        wx_phase_unusable((wx_PhaseReqObject *)(self)); return -1; }

enum { WX_P_ACCESS, WX_P_AUTHENTICATE, WX_P_FIXUP };

/* a loaded phase script in one interpreter: its Phases object, and when its file was checked */
typedef struct {
    PyObject *phases;       /* NULL when it failed to load */
    apr_time_t checked;
} wx_loaded;

typedef struct wx_phase_interp {
    int64_t id;
    PyObject *run;          /* runtime.phases.run */
    PyObject *load;         /* runtime.phases.load */
    PyObject *hook_result;  /* wsgi_phases.dispatch.hook_result */
    PyObject *hook_exception;   /* wsgi_phases.dispatch.hook_exception */
    PyObject *handlers_name;    /* "handlers" */
    PyObject *names[3];     /* "access", "authenticate", "fixup" */
    apr_hash_t *loaded;     /* "path\nobject" -> wx_loaded */
    PyObject *cls;          /* the request class made from wx_PhaseReqType */
    PyObject *table_cls;    /* the table class made from wx_PhaseTableType */
    PyObject *env_key;      /* "wsgi_phases.request" */
    struct wx_phase_interp *next;
} wx_phase_interp;

typedef struct {
    const wx_mount *script;
    const char *group;
    wx_entered st;
    PyObject *req;          /* borrowed: the state keeps it */
    wx_phase_interp *pi;
    int reloading;
} wx_phase_call;

/* phase_request.c */
extern PyTypeObject wx_PhaseReqType, wx_PhaseTableType;
PyObject *wx_phase_unusable(wx_PhaseReqObject *o);   /* RuntimeError: ended, or wrong thread */
PyObject *wx_phase_object_new(PyObject *cls, PyObject *table_cls, request_rec *r);
void wx_phase_object_invalidate(PyObject *obj);
void wx_phase_object_set_phase(PyObject *obj, PyObject *phase);
PyObject *wx_latin1_or_none(const char *s);            /* a C string as str, or None */
const char *wx_pool_latin1(request_rec *r, PyObject *s, int lines_ok);   /* a pool copy */

/* phase_table.c */
PyObject *wx_phase_table_get(PyObject *self, void *closure);   /* request.headers_in etc. */

/* phases.c */
const wx_mount *wx_phase_script(request_rec *r, int *reloading);
int wx_phase_begin(wx_phase_call *c, request_rec *r, const wx_mount *m, int reloading);
PyObject *wx_phase_run(wx_phase_call *c, request_rec *r, const char *phase, PyObject *extra);
int wx_phase_as_int(PyObject *res, int fallback);

/* phase_auth.c */
extern const authz_provider wx_phase_authz_provider;

#endif

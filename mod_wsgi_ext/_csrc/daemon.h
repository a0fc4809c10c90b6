/* daemon.h -- what the two halves of daemon mode share: the supervisor in the parent (daemon.c)
 * and the forwarder in the children (daemon_fwd.c).  Included by both. */
#ifndef WX_DAEMON_H
#define WX_DAEMON_H
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <errno.h>
#include "apr_thread_mutex.h"

#define WX_SECRET_LEN 32
#define WX_PREAMBLE_LEN (4 + WX_SECRET_LEN)
#define WX_MAX_FRAME (1u << 20)
#define WX_BUF 65536
#define WX_IDLE_MAX apr_time_from_sec(30)
#define WX_ATTEMPTS 8

typedef struct {
    int fd;
    pid_t pid;
    apr_time_t used;
} wx_pconn;

typedef struct wx_dproc {
    wx_daemon_rt *rt;
    int index;
    apr_proc_t proc;
    int running;
    int registered;          /* with apr_proc_other_child_register */
    int quick;               /* deaths in a row soon after starting */
    int ready_fd;            /* parent's end of the pipe the process writes once it serves */
    int delay;               /* the back-off its start waited, seconds */
    apr_time_t started;
    apr_pool_t *pconf;
} wx_dproc;

struct wx_daemon_rt {
    wx_daemon *d;
    server_rec *s;
    int processes, threads, backlog;
    int fd;                          /* the listening socket (parent) */
    const char *path;
    uid_t sock_uid;                  /* who listens on it: the parent's euid */
    unsigned char secret[WX_SECRET_LEN];  /* this group's: the application of one group
                                           * holds its own, never another's */
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
    const char *python, *main_py, *home;
    apr_array_header_t *args;        /* const char *: the options after the fixed ones */
    apr_interval_time_t connect_timeout, socket_timeout;
    int shutdown_timeout;
    wx_dproc *procs;
    /* child side */
    apr_thread_mutex_t *mu;
    wx_pconn *idle;
    int nidle, cap;
};

#endif

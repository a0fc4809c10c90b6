/* shutdown.c -- running Python's shutdown (callbacks, atexit) when an Apache child exits.
 *
 * The child's pool cleanups run child_exit.  Prefork runs them from its SIGTERM handler, which may
 * have interrupted the process anywhere -- inside malloc, or on an application's thread holding
 * the GIL -- where Python must not run.  So Python's shutdown (wx_run_shutdown, interp.c) runs on
 * a thread of its own, started with every signal blocked right after Python: child_exit wakes it
 * through a pipe and waits for its answer with poll() (both async-signal-safe), at most
 * WX_SHUTDOWN_WAIT ms, so that an interrupted lock holder costs the callbacks, never a hang.
 * Registered by module.c's child_init after wx_start_python.
 */
#include "wx.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#define WX_SHUTDOWN_WAIT 5000
static int wx_shutdown_go[2] = {-1, -1}, wx_shutdown_done[2] = {-1, -1};

static void *shutdown_thread(void *unused)
{
    char c;
    ssize_t n;
    do
        n = read(wx_shutdown_go[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1)
        wx_run_shutdown();
    c = 1;
    while (write(wx_shutdown_done[1], &c, 1) < 0 && errno == EINTR)
        ;
    for (;;)
        pause();          /* the process exits next; never leave with Python thread states */
    return NULL;
}

static void start_shutdown_thread(server_rec *s)
{
    pthread_t t;
    pthread_attr_t attr;
    sigset_t all, old;
    int rc;
    if (pipe(wx_shutdown_go) < 0 || pipe(wx_shutdown_done) < 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, "mod_wsgi_ext: no shutdown thread "
                     "(pipe); shutdown callbacks will run in the exiting thread");
        wx_shutdown_go[1] = -1;
        return;
    }
    fcntl(wx_shutdown_go[0], F_SETFD, FD_CLOEXEC);
    fcntl(wx_shutdown_go[1], F_SETFD, FD_CLOEXEC);
    fcntl(wx_shutdown_done[0], F_SETFD, FD_CLOEXEC);
    fcntl(wx_shutdown_done[1], F_SETFD, FD_CLOEXEC);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);     /* the new thread never takes a signal */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &attr, shutdown_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rc, s, "mod_wsgi_ext: no shutdown thread; "
                     "shutdown callbacks will run in the exiting thread");
        close(wx_shutdown_go[0]);
        close(wx_shutdown_go[1]);
        wx_shutdown_go[1] = -1;
    }
}

/* async-signal-safe: "mod_wsgi_ext (pid=N): text" on stderr, which Apache points at the error
 * log (no ap_log_error here: it formats times and may allocate) */
static void say(const char *text)
{
    char line[256], digits[24];
    size_t n = 0, k = 0, len;
    long pid = (long)getpid();
    const char *head = "mod_wsgi_ext (pid=";
    do
        digits[k++] = (char)('0' + pid % 10);
    while ((pid /= 10) && k < sizeof(digits));
    for (len = strlen(head); n < len; n++)
        line[n] = head[n];
    while (k)
        line[n++] = digits[--k];
    line[n++] = ')';
    line[n++] = ':';
    line[n++] = ' ';
    for (len = strlen(text); len && n < sizeof(line) - 1; len--)
        line[n++] = *text++;
    line[n++] = '\n';
    while (write(2, line, n) < 0 && errno == EINTR)
        ;
}

static apr_status_t child_exit(void *data)
{
    if (wx_python_failure)
        return APR_SUCCESS;
    if (wx_thread_in_python()) {
        /* prefork's SIGTERM handler interrupted this thread inside Python (maybe holding the
         * GIL, or waiting for it): the shutdown thread could wait for the GIL for ever, and a
         * child stopped mid-request is not a normal exit. */
        wx_python_failure = "the process is shutting down";
        say("process stopped in the middle of a request; shutdown callbacks not run");
        return APR_SUCCESS;
    }
    if (wx_shutdown_go[1] >= 0) {
        struct pollfd pfd;
        char c = 1;
        int rc;
        while (write(wx_shutdown_go[1], &c, 1) < 0 && errno == EINTR)
            ;
        pfd.fd = wx_shutdown_done[0];
        pfd.events = POLLIN;
        do
            rc = poll(&pfd, 1, WX_SHUTDOWN_WAIT);
        while (rc < 0 && errno == EINTR);
        if (rc == 0)
            say("shutdown callbacks did not finish within 5 seconds; process exits without "
                "them");
    }
    else
        wx_run_shutdown();
    /* Python is not finalised: the process exits next, and finalisation can hang on threads the
     * application left running.  Shutdown callbacks and atexit handlers have run above. */
    wx_python_failure = "the process is shutting down";
    return APR_SUCCESS;
}

/* After wx_start_python, in child_init: the shutdown thread, and child_exit as a cleanup of the
 * interpreters' pool. */
void wx_shutdown_init(server_rec *s)
{
    if (wx_python_failure)
        return;
    start_shutdown_thread(s);
    apr_pool_cleanup_register(wx_interp_pool(), NULL, child_exit, apr_pool_cleanup_null);
}

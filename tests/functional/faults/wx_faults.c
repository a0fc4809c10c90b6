/* wx_faults.c -- an LD_PRELOAD library for functional tests: fault injection into the Apache
 * children, switched on by environment variables naming files the test creates or removes.
 *
 *   WX_FAULT_DNS_GATE=PATH   getnameinfo() creates PATH.in, then waits until PATH.go exists
 *                            (a slow reverse DNS lookup the test controls)
 *   WX_FAULT_TSTATE=PATH     while PATH exists, PyThreadState_New() called from mod_wsgi_ext's
 *                            module returns NULL (out of memory)
 *   WX_FAULT_REALLOC=PATH    while PATH exists, realloc() called from the module returns NULL
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static __thread int busy;

static int from_module(void *caller)
{
    Dl_info info;
    int hit;
    if (busy)
        return 0;
    busy = 1;
    hit = dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "mod_wsgi_ext/_ext");
    busy = 0;
    return hit;
}

static int switched_on(const char *var)
{
    const char *path = getenv(var);
    return path && access(path, F_OK) == 0;
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
    static int (*real)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t,
                       int);
    const char *gate = getenv("WX_FAULT_DNS_GATE");
    if (!real)
        real = dlsym(RTLD_NEXT, "getnameinfo");
    if (gate && !(flags & NI_NUMERICHOST)) {
        char in[4096], go[4096];
        int i, fd;
        struct timespec ts = {0, 20 * 1000 * 1000};
        snprintf(in, sizeof(in), "%s.in", gate);
        snprintf(go, sizeof(go), "%s.go", gate);
        fd = open(in, O_CREAT | O_WRONLY, 0644);
        if (fd >= 0)
            close(fd);
        for (i = 0; i < 1500 && access(go, F_OK) != 0; i++)    /* at most 30 s */
            nanosleep(&ts, NULL);
    }
    return real(sa, salen, host, hostlen, serv, servlen, flags);
}

void *PyThreadState_New(void *interp)
{
    static void *(*real)(void *);
    if (!real)
        real = dlsym(RTLD_NEXT, "PyThreadState_New");
    if (switched_on("WX_FAULT_TSTATE") && from_module(__builtin_return_address(0)))
        return NULL;
    return real(interp);
}

extern void *__libc_realloc(void *, size_t);

void *realloc(void *p, size_t n)
{
    if (!busy && getenv("WX_FAULT_REALLOC") && from_module(__builtin_return_address(0))
        && switched_on("WX_FAULT_REALLOC")) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}

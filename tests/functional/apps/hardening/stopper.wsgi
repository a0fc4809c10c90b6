"""A shutdown callback that records where it ran, in {server root}/marks/PID: on the process's
main thread with SIGTERM blocked is inside prefork's SIGTERM handler.  Loading it creates
marks/PID.loaded."""
import os
import signal
import threading

import mod_wsgi_ext

MARKS = os.path.join(os.path.dirname(__file__), "..", "..", "marks")


def _sigterm_blocked():
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith("SigBlk:"):
                return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


with open(os.path.join(MARKS, "%d.loaded" % os.getpid()), "w"):
    pass


@mod_wsgi_ext.subscribe_shutdown
def _record():
    main = threading.get_native_id() == os.getpid()
    with open(os.path.join(MARKS, str(os.getpid())), "a") as f:
        f.write("shutdown main_thread=%d sigterm_blocked=%d\n" % (main, _sigterm_blocked()))


def application(environ, start_response):
    body = b"".join(str(i).encode() for i in range(2000))      # some allocation per request
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]

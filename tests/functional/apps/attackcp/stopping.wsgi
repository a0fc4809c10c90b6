"""mod_wsgi shutdown and event subscribers that raise BaseException at process_stopping; the
mod_wsgi_ext shutdown callback and the atexit handler must still run (they append to
{server root}/marks/pid-N)."""
import atexit
import os
import sys

import mod_wsgi
import mod_wsgi_ext

MARKS = os.path.join(os.path.dirname(__file__), "..", "..", "marks")


def mark(event):
    with open(os.path.join(MARKS, "pid-%d" % os.getpid()), "a") as f:
        f.write(event + "\n")


def exiting(name, **kw):
    raise SystemExit("a shutdown subscriber calling sys.exit()")


def interrupted(name, **kw):
    if name == "process_stopping":
        raise KeyboardInterrupt


atexit.register(mark, "atexit")
mod_wsgi_ext.subscribe_shutdown(lambda: mark("shutdown"))
mod_wsgi_ext.subscribe_shutdown(lambda: sys.exit(5))      # runs first: last registered
mod_wsgi.subscribe_shutdown(exiting)
mod_wsgi.subscribe_events(interrupted)


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]

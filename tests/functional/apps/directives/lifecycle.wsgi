"""Registers an atexit handler and a mod_wsgi_ext shutdown callback that append to a marker file
in {server root}/marks (world-writable, made by the test) when the process exits."""
import atexit
import os

import mod_wsgi_ext

MARKS = os.path.join(os.path.dirname(__file__), "..", "..", "marks")
GROUP = None


def mark(event):
    with open(os.path.join(MARKS, "pid-%d" % os.getpid()), "a") as f:
        f.write("%s %s\n" % (event, GROUP))


atexit.register(mark, "atexit")
mod_wsgi_ext.subscribe_shutdown(lambda: mark("shutdown"))


def application(environ, start_response):
    global GROUP
    GROUP = environ["mod_wsgi.application_group"] or "%{GLOBAL}"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]

"""Uses the `mod_wsgi` module the way code written for mod_wsgi does."""
import json
import os

import mod_wsgi

MARKER_DIR = os.environ.get("WX_MARKER_DIR", "/tmp")


def on_shutdown(event, **details):
    path = os.path.join(mod_wsgi_marker_dir, "shutdown-%d" % os.getpid())
    with open(path, "w") as f:
        json.dump({"event": event, "details": details}, f)


mod_wsgi_marker_dir = None


def application(environ, start_response):
    global mod_wsgi_marker_dir
    if mod_wsgi_marker_dir is None:
        mod_wsgi_marker_dir = environ["MARKER_DIR"]
        mod_wsgi.subscribe_shutdown(on_shutdown)
    body = json.dumps({"process_group": mod_wsgi.process_group,
                       "application_group": mod_wsgi.application_group,
                       "threads_per_process": mod_wsgi.threads_per_process,
                       "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

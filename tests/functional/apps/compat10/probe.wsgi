# Reports what the directives of issue 10 change, as JSON.
import json
import sys


def application(environ, start_response):
    path = environ["PATH_INFO"]
    out = {"stdin": type(sys.stdin).__module__ + "." + type(sys.stdin).__name__,
           "stdout": type(sys.stdout).__module__ + "." + type(sys.stdout).__name__,
           "group": environ["mod_wsgi.application_group"],
           "callable": environ["mod_wsgi.callable_object"],
           "request_uri": environ.get("REQUEST_URI"),
           "redirect_url": environ.get("REDIRECT_URL"),
           "script_name": environ["SCRIPT_NAME"]}
    for name, stream in (("stdin_read", lambda: sys.stdin.read()),
                         ("print", lambda: print("to stdout"))):
        try:
            stream()
            out[name] = None
        except OSError as exc:
            out[name] = "OSError: " + str(exc)
    status = "404 Not Found" if path == "/missing" else "200 OK"
    body = json.dumps(out, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json")])
    return [body]


def other(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"other callable in " + environ["mod_wsgi.application_group"].encode()]

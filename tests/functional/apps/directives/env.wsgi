"""Reports what the application saw as JSON (directives tests); `other` is a second callable."""
import json
import os
import sys

COUNTER = [0]
KEYS = ("SCRIPT_NAME", "PATH_INFO", "SCRIPT_FILENAME", "REQUEST_METHOD", "REMOTE_ADDR",
        "HTTP_HOST", "SERVER_PORT", "HTTPS", "HTTP_AUTHORIZATION", "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP", "CONTENT_LENGTH",
        "wsgi.url_scheme", "mod_wsgi.application_group", "mod_wsgi.callable_object",
        "mod_wsgi.script_reloading", "mod_wsgi.process_group")


def report(environ, start_response, callable_name):
    COUNTER[0] += 1
    body = environ["wsgi.input"].read() if environ["REQUEST_METHOD"] == "POST" else b""
    data = {k: environ.get(k) for k in KEYS}
    data.update(callable=callable_name, counter=COUNTER[0], pid=os.getpid(),
                body=body.decode("latin-1"), optimize=sys.flags.optimize, debug=__debug__,
                prefix=sys.prefix)
    out = json.dumps(data).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("X-Method", environ["REQUEST_METHOD"])])
    return [out]


def application(environ, start_response):
    return report(environ, start_response, "application")


def other(environ, start_response):
    return report(environ, start_response, "other")

"""The application behind hostile.py: the notes the handlers left, and REMOTE_USER, as JSON."""
import json


def application(environ, start_response):
    req = environ["wsgi_phases.request"]
    out = {"notes": dict(req.notes.items()), "user": environ.get("REMOTE_USER"),
           "auth_type": environ.get("AUTH_TYPE")}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

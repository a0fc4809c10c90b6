"""The application behind the parity table: what the phases left in the environ, as JSON."""
import json

KEYS = ("REMOTE_USER", "AUTH_TYPE", "TENANT", "HTTP_X_ADDED", "HTTP_AUTHORIZATION")


def application(environ, start_response):
    out = {k: environ.get(k) for k in KEYS}
    req = environ.get("wsgi_phases.request")
    out["note"] = req.notes.get("n") if req is not None else "no request object"
    body = json.dumps(out, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]

"""Echo what the phases left: the request object's trace notes, REMOTE_USER, AUTH_TYPE."""
import json
import threading

OLD = {}


def application(environ, start_response):
    req = environ["wsgi_phases.request"]
    out = {"trace": req.notes.getall("trace"), "user": environ.get("REMOTE_USER"),
           "auth_type": environ.get("AUTH_TYPE"), "tenant": req.notes.get("tenant"),
           "uri": req.uri, "options": dict(req.options),
           "same_object": req.notes.get("object-id") == str(id(req)),
           "facts": req.notes.get("facts"), "tables": req.notes.get("tables"),
           "replaced": environ.get("HTTP_X_REPLACED")}
    old = OLD.get("req")
    if old is not None:
        errors = []
        for use in (lambda: old.uri, lambda: old.notes.get("x"), lambda: setattr(old, "user", "x")):
            try:
                use()
                errors.append("no error")
            except RuntimeError as e:
                errors.append(str(e))
        result = []
        t = threading.Thread(target=lambda: result.append(_try(req)))
        t.start()
        t.join()
        out["old"] = errors
        out["other_thread"] = result[0]
    OLD["req"] = req
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def _try(req):
    try:
        return req.uri
    except RuntimeError as e:
        return str(e)

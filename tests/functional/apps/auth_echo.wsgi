"""Echoes what Apache's auth phases left for the application (used by the auth tests)."""


def application(environ, start_response):
    body = "user=%s auth_type=%s\n" % (environ.get("REMOTE_USER"), environ.get("AUTH_TYPE"))
    body = body.encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

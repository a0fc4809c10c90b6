"""Answers with the status named in the query string and a body of its own."""


def application(environ, start_response):
    status = environ.get("QUERY_STRING") or "404"
    start_response("%s App" % status, [("Content-Type", "text/plain")])
    return [b"application body for " + status.encode()]

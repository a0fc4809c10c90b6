# Answers with what the query string asks for: ?h=Name:Value adds a header, ?s=STATUS sets the
# status line.
from urllib.parse import parse_qs


def application(environ, start_response):
    q = parse_qs(environ["QUERY_STRING"])
    headers = [("Content-Type", "text/plain")]
    for h in q.get("h", []):
        name, _, value = h.partition(":")
        headers.append((name, value))
    status = q.get("s", ["200 OK"])[0]
    try:
        start_response(status, headers)
    except ValueError as exc:
        environ["wsgi.errors"].write("refused: %s\n" % exc)
        raise
    return [b"body from the application"]

"""Served through AddHandler wsgi-script .wsgi in the 'nocgi' directory."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"nocgi app"]

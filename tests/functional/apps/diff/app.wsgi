# Differential tests: one behaviour per first path segment (status codes, redirects, framing,
# errors, wsgi.input reading).  The same script is also mounted with callable-object=other.
import os
import sys


def _status(env, start):
    code = env["PATH_INFO"].split("/")[2]
    reasons = {"200": "OK", "204": "No Content", "304": "Not Modified", "404": "Not Found",
               "418": "I'm a teapot", "500": "Internal Server Error", "503": "Busy Now"}
    body = b"" if code in ("204", "304") else ("status %s\n" % code).encode()
    start("%s %s" % (code, reasons[code]), [("Content-Type", "text/plain")])
    return [body]


def _redirect(env, start):
    start("302 Found", [("Location", "http://example.com/elsewhere?a=1"),
                        ("Content-Type", "text/plain")])
    return [b"moved\n"]


def _redirect_relative(env, start):
    start("301 Moved Permanently", [("Location", "/echo/moved")])
    return [b""]


def _location_200(env, start):
    start("200 OK", [("Location", "/echo/via-location"), ("Content-Type", "text/plain")])
    return [b"200 with a Location header\n"]


def _length(env, start):
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
    return [b"abc", b"def"]


def _length_long(env, start):
    # more body than declared: the output is cut at Content-Length
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
    return [b"abcdefgh"]


def _length_short(env, start):
    # less body than declared: the client must see a cut response, not a short 200
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
    return [b"only this"]


def _length_empty(env, start):
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return []


def _head_length(env, start):
    # what frameworks do for HEAD: the length of the GET body, and no body
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [] if env["REQUEST_METHOD"] == "HEAD" else [b"0123456789"]


def _generator_fails(env, start):
    def gen():
        yield b"first part\n"
        raise RuntimeError("the generator failed after the response started")
    start("200 OK", [("Content-Type", "text/plain")])
    return gen()


def _big(env, start):
    start("200 OK", [("Content-Type", "application/octet-stream")])
    return (bytes([i]) * 65536 for i in range(16))


def _single(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    return [b"one element, no Content-Length set by the application\n"]


def _generator(env, start):
    start("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return (("chunk %d\n" % i).encode() for i in range(5))


def _empty(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    return []


def _write(env, start):
    write = start("200 OK", [("Content-Type", "text/plain")])
    write(b"written with write()\n")
    return [b"then returned\n"]


def _exception(env, start):
    raise RuntimeError("application failed before start_response")


def _exception_after_start(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    raise RuntimeError("application failed after start_response, before any body")


def _exc_info(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("caught")
    except ValueError:
        start("503 Service Unavailable", [("Content-Type", "text/html")], sys.exc_info())
    return [b"<p>replaced the headers before any body was sent</p>"]


def _second_start(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    start("202 Accepted", [("Content-Type", "text/csv")])
    return [b"second start_response without exc_info\n"]


def _headers(env, start):
    start("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1; Path=/"),
                     ("Set-Cookie", "b=2; Path=/"), ("X-Latin-1", "caf\u00e9"),
                     ("Cache-Control", "no-store")])
    return [b"headers\n"]


def _bad_header(env, start):
    start("200 OK", [("Content-Type", "text/plain"), ("X-Bad", "a\r\nInjected: yes")])
    return [b"should not be sent\n"]


def _not_bytes(env, start):
    start("200 OK", [("Content-Type", "text/plain")])
    return ["a str, not bytes"]


def _read_parts(env, start):
    stream = env["wsgi.input"]
    parts = [stream.read(3), stream.readline(), stream.readline(5)]
    parts += list(stream)
    body = repr(parts).encode()
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _file(env, start):
    path = os.path.join(os.path.dirname(__file__), "static", "note.txt")
    start("200 OK", [("Content-Type", "text/plain")])
    return env["wsgi.file_wrapper"](open(path, "rb"), 4096)


def _no_content_type(env, start):
    start("200 OK", [])
    return [b"no content type"]


def _hop_by_hop(env, start):
    # a hop-by-hop header from the application (mod_wsgi passes it on; we refuse it)
    start("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])
    return [b"hop-by-hop header sent\n"]


def _status_1xx(env, start):
    start("102 Processing", [("Content-Type", "text/plain")])
    return [b"an interim status as the final one\n"]


ROUTES = {
    "status": _status, "redirect": _redirect, "redirect-relative": _redirect_relative,
    "location-200": _location_200, "length": _length, "length-long": _length_long,
    "length-short": _length_short, "length-empty": _length_empty, "head-length": _head_length,
    "generator-fails": _generator_fails, "big": _big,
    "single": _single, "generator": _generator, "empty": _empty, "write": _write,
    "exception": _exception, "exception-after-start": _exception_after_start,
    "exc-info": _exc_info, "second-start": _second_start, "headers": _headers,
    "bad-header": _bad_header, "not-bytes": _not_bytes, "read-parts": _read_parts,
    "file": _file, "no-content-type": _no_content_type, "hop-by-hop": _hop_by_hop,
    "status-1xx": _status_1xx,
}


def application(environ, start_response):
    name = environ["PATH_INFO"].split("/")[1] if environ["PATH_INFO"].count("/") else ""
    route = ROUTES.get(name)
    if route is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no route %r\n" % name.encode()]
    return route(environ, start_response)


def other(environ, start_response):
    body = ("callable 'other', SCRIPT_NAME=%s PATH_INFO=%s\n"
            % (environ["SCRIPT_NAME"], environ["PATH_INFO"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]

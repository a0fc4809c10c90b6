"""Functional test application for tests/functional/test_wsgi.py.

One endpoint per WSGI behaviour, chosen by the first segment of PATH_INFO (the application is
mounted at several URLs).  Files the tests exchange with the application live beside the apps
directory in the server root: ``files/`` (input files the test writes), ``flags/`` (the test creates
a file there to let a waiting generator go on) and ``marks/`` (world-writable: the application
leaves a file there to prove that close() ran).
"""
import hashlib
import io
import json
import os
import sys
import time
from urllib.parse import parse_qs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKS = os.path.join(ROOT, "marks")
FLAGS = os.path.join(ROOT, "flags")
FILES = os.path.join(ROOT, "files")

counter = 0


def _q(environ):
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _json(start_response, obj, status="200 OK"):
    body = json.dumps(obj).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _text(start_response, text, status="200 OK"):
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode("latin-1")]


def _mark(token, text):
    with open(os.path.join(MARKS, token), "w") as f:
        f.write(text)


def _wait_flag(token, limit=20.0):
    """Wait (bounded) until the test creates flags/<token>; True when it did."""
    deadline = time.monotonic() + limit
    path = os.path.join(FLAGS, token)
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.01)
    return False


def _describe(value):
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, tuple):
        return {"tuple": [_describe(v) for v in value]}
    return {"type": type(value).__name__}


# ---------------------------------------------------------------- environ

def ep_env(environ, start_response):
    return _json(start_response, {k: _describe(v) for k, v in environ.items()})


def ep_head(environ, start_response):
    body = b"0123456789"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("X-Seen-Method", environ["REQUEST_METHOD"])])
    return [body]


def ep_head_nobody(environ, start_response):
    """Declares the length of the GET body but, for HEAD, sends no body (allowed)."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    if environ["REQUEST_METHOD"] == "HEAD":
        return []
    return [b"0123456789"]


def ep_counter(environ, start_response):
    global counter
    counter += 1
    return _text(start_response, "%d %d" % (os.getpid(), counter))


# ---------------------------------------------------------------- start_response

SR_CASES = {
    "status-int": lambda sr: sr(200, []),
    "status-bytes": lambda sr: sr(b"200 OK", []),
    "status-noreason": lambda sr: sr("200", []),
    "status-nospace": lambda sr: sr("200OK", []),
    "status-4digits": lambda sr: sr("2000 OK", []),
    "status-words": lambda sr: sr("OK 200", []),
    "status-crlf": lambda sr: sr("200 OK\r\nX-Injected: 1", []),
    "headers-tuple": lambda sr: sr("200 OK", (("X-A", "1"),)),
    "header-notpair": lambda sr: sr("200 OK", [("X-A", "1", "2")]),
    "header-name-bytes": lambda sr: sr("200 OK", [(b"X-A", "1")]),
    "header-value-bytes": lambda sr: sr("200 OK", [("X-A", b"1")]),
    "header-value-int": lambda sr: sr("200 OK", [("X-A", 1)]),
    "header-crlf": lambda sr: sr("200 OK", [("X-A", "a\r\nX-Injected: 1")]),
    "header-lf": lambda sr: sr("200 OK", [("X-A", "a\nX-Injected: 1")]),
    "header-space-name": lambda sr: sr("200 OK", [("Bad Name", "1")]),
    "header-colon-name": lambda sr: sr("200 OK", [("X:Y", "1")]),
    "header-empty-name": lambda sr: sr("200 OK", [("", "1")]),
    "header-not-latin1": lambda sr: sr("200 OK", [("X-A", "\u20ac")]),
    "status-not-latin1": lambda sr: sr("200 \u20ac", []),
}


def ep_sr(environ, start_response):
    case = environ["PATH_INFO"].split("/")[2]
    SR_CASES[case](start_response)
    return [b"this body must not be seen"]


def ep_latin1(environ, start_response):
    start_response("200 Fin\xe9", [("Content-Type", "text/plain"), ("X-Latin", "caf\xe9")])
    return [b"latin-1 head"]


SHARED_HEADERS = [("Content-Type", "text/plain")]


def ep_shared_headers(environ, start_response):
    """Reuses one header list for every response, and shows it."""
    start_response("200 OK", SHARED_HEADERS)
    return [repr(SHARED_HEADERS).encode()]


def ep_twice(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"second start_response was accepted"]


def ep_excinfo_before(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-First", "1")])
    try:
        raise ValueError("the app changed its mind")
    except ValueError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain"),
                                                   ("X-App-Error", "1")], sys.exc_info())
    return [b"app error page"]


def ep_excinfo_after(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"partial body already sent\n")
    try:
        raise ValueError("excinfo-after-marker")
    except ValueError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")],
                       sys.exc_info())
    return [b"never sent"]


# ---------------------------------------------------------------- writing

def ep_write_str(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write("a str, not bytes")
    return [b"this body must not be seen"]


def ep_write_bytes(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"via write; ")
    return [b"via iterable"]


def ep_iter(environ, start_response):
    kind = environ["PATH_INFO"].split("/")[2]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if kind == "list":
        return [b"one;", b"two;", b"three"]
    if kind == "gen":
        return (b"%d;" % i for i in range(5))
    if kind == "empty":
        return []
    if kind == "empty-gen":
        return (b"" for i in range(3))
    if kind == "str":
        return ["a str, not bytes"]
    if kind == "tuple":
        return (b"t1;", b"t2")
    raise KeyError(kind)


class Closing:
    """An iterable recording in marks/<token> that close() ran (and how far iteration got)."""

    def __init__(self, token, chunks, fail_at=None, wait_at=None):
        self.token, self.chunks, self.fail_at, self.wait_at = token, chunks, fail_at, wait_at
        self.sent = 0

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("iteration-failure-marker")
            if i == self.wait_at:
                _wait_flag(self.token)
            self.sent += 1
            yield chunk

    def close(self):
        _mark(self.token, "closed after %d chunks" % self.sent)


def ep_close(environ, start_response):
    kind = environ["PATH_INFO"].split("/")[2]
    token = _q(environ)["token"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if kind == "normal":
        return Closing(token, [b"a", b"b", b"c"])
    if kind == "raise":
        return Closing(token, [b"a", b"b", b"c"], fail_at=1)
    if kind == "disconnect":
        # first chunk, then (once the test has closed its socket and set the flag) a lot more
        big = b"x" * 65536
        return Closing(token, [b"first\n"] + [big] * 2000, wait_at=1)
    raise KeyError(kind)


def ep_cl(environ, start_response):
    kind = environ["PATH_INFO"].split("/")[2]
    if kind == "cut":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello world"]
    if kind == "cut-gen":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return iter([b"hel", b"lo wo", b"rld"])
    if kind == "cut-write":
        write = start_response("200 OK", [("Content-Type", "text/plain"),
                                          ("Content-Length", "5")])
        write(b"hello")
        write(b" world")
        return []
    if kind == "short":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return [b"short body"]
    if kind == "short-gen":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return iter([b"short ", b"body"])
    if kind == "short-empty":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return []
    raise KeyError(kind)


# ---------------------------------------------------------------- input / errors

def ep_input(environ, start_response):
    mode = environ["PATH_INFO"].split("/")[2]
    q = _q(environ)
    inp = environ["wsgi.input"]
    if mode == "read-n":
        n = int(q["n"])
        parts = []
        while True:
            data = inp.read(n)
            if not data:
                break
            parts.append(data.decode("latin-1"))
        parts.append(inp.read(n).decode("latin-1"))    # past the end: b""
        return _json(start_response, parts)
    if mode == "read-all":
        return _json(start_response, [inp.read().decode("latin-1"), inp.read().decode("latin-1")])
    if mode == "read-none":
        return _json(start_response, [inp.read(None).decode("latin-1")])
    if mode == "readline":
        lines = []
        while True:
            line = inp.readline()
            lines.append(line.decode("latin-1"))
            if not line:
                break
        return _json(start_response, lines)
    if mode == "readline-size":
        n = int(q["n"])
        lines = []
        while True:
            line = inp.readline(n)
            lines.append(line.decode("latin-1"))
            if not line:
                break
        return _json(start_response, lines)
    if mode == "readlines":
        return _json(start_response, [x.decode("latin-1") for x in inp.readlines()])
    if mode == "iter":
        return _json(start_response, [x.decode("latin-1") for x in inp])
    if mode == "digest":
        h = hashlib.md5()
        total = 0
        while True:
            data = inp.read(int(q.get("n", "100000")))
            if not data:
                break
            h.update(data)
            total += len(data)
        return _json(start_response, {"md5": h.hexdigest(), "length": total,
                                      "content_length": environ.get("CONTENT_LENGTH")})
    raise KeyError(mode)


def ep_errors(environ, start_response):
    token = _q(environ)["token"]
    environ["wsgi.errors"].write("wsgi-errors-marker %s\n" % token)
    environ["wsgi.errors"].flush()
    print("stdout-marker %s" % token)
    print("stderr-marker %s" % token, file=sys.stderr)
    sys.stdout.flush()
    return _text(start_response, "logged")


# ---------------------------------------------------------------- file_wrapper

def ep_file(environ, start_response):
    q = _q(environ)
    kind = environ["PATH_INFO"].split("/")[2]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    wrapper = environ["wsgi.file_wrapper"]
    if kind == "real":
        f = open(os.path.join(FILES, q["name"]), "rb")
        if "seek" in q:
            f.seek(int(q["seek"]))
        return wrapper(f, 32768)
    if kind == "bytesio":
        return wrapper(io.BytesIO(b"in-memory file " * 1000))
    raise KeyError(kind)


# ---------------------------------------------------------------- failures

def ep_raise_before(environ, start_response):
    raise RuntimeError("raise-before-marker")


def ep_raise_after(environ, start_response):
    headers = [("Content-Type", "text/plain")]
    if _q(environ).get("cl"):
        headers.append(("Content-Length", "100000"))
    start_response("200 OK", headers)

    def gen():
        yield b"first chunk\n"
        yield b"second chunk\n"
        raise RuntimeError("raise-after-marker")
    return gen()


def ep_stream(environ, start_response):
    token = _q(environ)["token"]
    start_response("200 OK", [("Content-Type", "text/plain")])

    def gen():
        yield b"first\n"
        yield b"second\n" if _wait_flag(token) else b"flag never came\n"
    return gen()


ENDPOINTS = {
    "env": ep_env, "head": ep_head, "head-nobody": ep_head_nobody, "counter": ep_counter,
    "sr": ep_sr, "latin1": ep_latin1, "shared-headers": ep_shared_headers, "twice": ep_twice,
    "excinfo-before": ep_excinfo_before, "excinfo-after": ep_excinfo_after,
    "write-str": ep_write_str, "write-bytes": ep_write_bytes, "iter": ep_iter, "close": ep_close,
    "cl": ep_cl, "input": ep_input, "errors": ep_errors, "file": ep_file,
    "raise-before": ep_raise_before, "raise-after": ep_raise_after, "stream": ep_stream,
}


def application(environ, start_response):
    parts = environ["PATH_INFO"].split("/")
    name = parts[1] if len(parts) > 1 else ""
    endpoint = ENDPOINTS.get(name, ep_env)
    return endpoint(environ, start_response)


def other_app(environ, start_response):
    """Served where the mount says callable-object=other_app."""
    return _text(start_response, "other_app here")

"""WSGI in embedded mode against a real Apache, under the prefork and the event MPM.

One server per MPM serves ``apps/wsgitest.wsgi`` (one endpoint per behaviour) at several mount
points with different settings, and the broken scripts under ``apps/bad/``.  Every test asserts
what a client or an operator reading the error log would notice.  Cut responses are read with raw
sockets so that a missing last chunk or a short body is seen as the bytes on the wire.
"""
import hashlib
import http.client
import json
import os
import socket
import uuid

import pytest
import requests

from functional.server import Apache

CONF = """
SetEnv WX_SETENV from-setenv
WSGIScriptAlias /sub {root}/apps/wsgitest.wsgi
WSGIScriptAlias /authopt {root}/apps/wsgitest.wsgi pass-authorization=On
WSGIScriptAlias /authdir {root}/apps/wsgitest.wsgi
<Location /authdir>
    WSGIPassAuthorization On
</Location>
WSGIScriptAlias /chunked {root}/apps/wsgitest.wsgi
<Location /chunked>
    WSGIChunkedRequest On
</Location>
WSGIScriptAlias /headon {root}/apps/wsgitest.wsgi
<Location /headon>
    WSGIMapHEADToGET On
</Location>
WSGIScriptAlias /headoff {root}/apps/wsgitest.wsgi
<Location /headoff>
    WSGIMapHEADToGET Off
</Location>
WSGIScriptAlias /headfilter {root}/apps/wsgitest.wsgi
<Location /headfilter>
    SetOutputFilter DEFLATE
</Location>
WSGIScriptAlias /other {root}/apps/wsgitest.wsgi callable-object=other_app
WSGIScriptAlias /bad/ {root}/apps/bad/
WSGIScriptAlias / {root}/apps/wsgitest.wsgi
"""

SCRIPT = "apps/wsgitest.wsgi"
BIG = 5 * 1024 * 1024 + 123


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    server = Apache(CONF, mpm=request.param, modules=["deflate"])
    request.addfinalizer(server.cleanup)
    for name, mode in (("marks", 0o777), ("flags", 0o755), ("files", 0o755)):
        path = os.path.join(server.root, name)
        os.mkdir(path)
        os.chmod(path, mode)
    with open(os.path.join(server.root, "files", "big"), "wb") as f:
        f.write(os.urandom(BIG))
    os.chmod(os.path.join(server.root, "files", "big"), 0o644)
    return server.start()


# ---------------------------------------------------------------------------- helpers

def get(srv, path, **kw):
    kw.setdefault("timeout", 30)
    return requests.get(srv.url(path), **kw)


def env(srv, path="/sub/env", **kw):
    r = get(srv, path, **kw)
    assert r.status_code == 200, r.text
    return r.json()


class Log:
    """What the server logged since this object was made."""

    def __init__(self, srv):
        self.srv = srv
        self.start = len(srv.log())

    def text(self):
        return self.srv.log()[self.start:]


def token():
    return uuid.uuid4().hex[:12]


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def dechunk(body):
    """(data, complete): complete only when the terminating zero-size chunk arrived."""
    out = b""
    while True:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            return out, False
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out, True
        if len(rest) < size + 2:
            return out + rest[:size], False
        out += rest[:size]
        body = rest[size + 2:]


def raw_get(srv, path, method="GET", headers=b""):
    return srv.raw(b"%s %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
                   % (method.encode(), path.encode(), headers))


def recv_until(sock, data, needle):
    while needle not in data:
        more = sock.recv(65536)
        assert more, "connection closed before %r arrived: %r" % (needle, data)
        data += more
    return data


def wait_file(path, limit=20):
    """Wait (bounded) for a file the application writes after the response; its text or None."""
    import time
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
        time.sleep(0.02)
    return None


def assert_500_logged(srv, r, log, *needles):
    assert r.status_code == 500
    assert "Traceback" not in r.text
    assert "this body must not be seen" not in r.text
    text = log.text()
    assert "Traceback (most recent call last)" in text
    for needle in needles:
        assert needle in text


# ---------------------------------------------------------------------------- environ

def test_script_name_and_path_info_under_a_mount_point(srv):
    e = env(srv, "/sub/env/a%20b/caf%C3%A9?x=1&y=%20")
    assert e["SCRIPT_NAME"] == "/sub"
    assert e["PATH_INFO"] == "/env/a b/caf\xc3\xa9"        # decoded bytes, as latin-1 str
    assert e["QUERY_STRING"] == "x=1&y=%20"
    assert e["REQUEST_URI"] == "/sub/env/a%20b/caf%C3%A9?x=1&y=%20"
    assert e["REQUEST_METHOD"] == "GET"
    assert e["SERVER_PORT"] == str(srv.port)
    assert e["SERVER_NAME"] == "127.0.0.1"                  # from the Host header
    assert e["SERVER_PROTOCOL"] == "HTTP/1.1"


def test_mount_point_with_encoded_characters_in_the_url(srv):
    e = env(srv, "/s%75b/env/x")
    assert (e["SCRIPT_NAME"], e["PATH_INFO"]) == ("/sub", "/env/x")


def test_mounted_at_the_root(srv):
    e = env(srv, "/env/x%2By/z")
    assert (e["SCRIPT_NAME"], e["PATH_INFO"]) == ("", "/env/x+y/z")
    assert e["mod_wsgi.application_group"] == "localhost:%d|" % srv.port
    e = env(srv, "/")
    assert (e["SCRIPT_NAME"], e["PATH_INFO"]) == ("", "/")


def test_request_headers_become_http_variables(srv):
    e = env(srv, headers={"X-Custom-Thing": "value 1", "Accept": "text/x-test"})
    assert e["HTTP_X_CUSTOM_THING"] == "value 1"
    assert e["HTTP_ACCEPT"] == "text/x-test"
    assert e["HTTP_HOST"] == "127.0.0.1:%d" % srv.port


def test_headers_with_other_characters_than_letters_digits_dash_are_dropped(srv):
    data, _ = raw_get(srv, "/sub/env", headers=b"X_Under: 1\r\nX.Dot: 2\r\nX-Ok: 3\r\n"
                                               b"Connection: close\r\n")
    status, _, body = split_response(data)
    assert " 200 " in status
    e = json.loads(body)
    assert e["HTTP_X_OK"] == "3"
    assert not [k for k in e if "UNDER" in k or "DOT" in k], sorted(e)


def test_values_are_latin1_str(srv):
    data, _ = raw_get(srv, "/sub/env", headers=b"X-Latin: caf\xe9 \xff\r\nConnection: close\r\n")
    _, _, body = split_response(data)
    e = json.loads(body)
    assert e["HTTP_X_LATIN"] == "caf\xe9 \xff"
    cgi = {k: v for k, v in e.items() if "." not in k}
    assert cgi and all(isinstance(v, str) for v in cgi.values()), cgi


@pytest.mark.parametrize("mount,passed", [("/sub", False), ("/authdir", True), ("/authopt", True)])
def test_authorization_only_with_pass_authorization(srv, mount, passed):
    e = env(srv, mount + "/env", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert ("HTTP_AUTHORIZATION" in e) is passed
    if passed:
        assert e["HTTP_AUTHORIZATION"] == "Basic dXNlcjpwdw=="


def test_wsgi_and_mod_wsgi_keys(srv):
    e = env(srv)
    assert e["wsgi.version"] == {"tuple": [1, 0]}
    assert e["wsgi.url_scheme"] == "http"
    assert e["wsgi.multithread"] is (srv.mpm == "event")
    assert e["wsgi.multiprocess"] is True
    assert e["wsgi.run_once"] is False
    assert e["wsgi.input_terminated"] is True
    assert e["wsgi.input"] == {"type": "Input"}
    assert e["wsgi.errors"] == {"type": "Errors"}
    assert e["wsgi.file_wrapper"] == {"type": "type"}
    assert e["mod_wsgi.process_group"] == ""
    assert e["mod_wsgi.application_group"] == "localhost:%d|/sub" % srv.port
    assert e["mod_wsgi.callable_object"] == "application"
    assert e["mod_wsgi.script_reloading"] == "1"
    assert e["mod_wsgi.request_id"]
    assert env(srv)["mod_wsgi.request_id"] != e["mod_wsgi.request_id"]
    version = e["apache.version"]["tuple"]
    assert len(version) == 3 and version[:2] == [2, 4]
    assert e["WX_SETENV"] == "from-setenv"                   # SetEnv reaches the environ


def test_callable_object_option(srv):
    r = get(srv, "/other/")
    assert (r.status_code, r.text) == (200, "other_app here")


# ---------------------------------------------------------------------------- start_response

SR_ERRORS = {
    "status-int": "TypeError", "status-bytes": "TypeError", "status-noreason": "ValueError",
    "status-nospace": "ValueError", "status-4digits": "ValueError", "status-words": "ValueError",
    "status-crlf": "ValueError", "headers-tuple": "TypeError", "header-notpair": "ValueError",
    "header-name-bytes": "TypeError", "header-value-bytes": "TypeError",
    "header-value-int": "TypeError", "header-crlf": "ValueError", "header-lf": "ValueError",
    "header-space-name": "ValueError", "header-colon-name": "ValueError",
    "header-empty-name": "ValueError", "header-not-latin1": "UnicodeEncodeError",
    "status-not-latin1": "ValueError",
}


@pytest.mark.parametrize("case", sorted(SR_ERRORS))
def test_invalid_start_response_is_a_500_with_the_traceback_logged(srv, case):
    log = Log(srv)
    r = get(srv, "/sub/sr/" + case)
    assert_500_logged(srv, r, log, SR_ERRORS[case] + ":", "in <lambda>")
    assert "X-Injected" not in r.headers


def test_latin1_status_and_header_values_go_out_as_latin1_bytes(srv):
    data, _ = raw_get(srv, "/sub/latin1", headers=b"Connection: close\r\n")
    status, headers, body = split_response(data)
    assert status == "HTTP/1.1 200 Fin\xe9"
    assert headers["x-latin"] == "caf\xe9"         # one byte 0xe9, not UTF-8
    assert body == b"latin-1 head"


def test_second_start_response_without_exc_info_is_a_500(srv):
    log = Log(srv)
    r = get(srv, "/sub/twice")
    assert_500_logged(srv, r, log, "a second call needs exc_info")
    assert "second start_response was accepted" not in r.text


def test_exc_info_before_headers_replaces_the_response(srv):
    r = get(srv, "/sub/excinfo-before")
    assert r.status_code == 503
    assert r.headers["X-App-Error"] == "1"
    assert "X-First" not in r.headers
    assert r.text == "app error page"


def test_exc_info_after_headers_reraises_and_cuts_the_response(srv):
    log = Log(srv)
    data, _ = raw_get(srv, "/sub/excinfo-after")
    status, headers, body = split_response(data)
    assert " 200 " in status and headers["transfer-encoding"] == "chunked"
    content, complete = dechunk(body)
    assert content == b"partial body already sent\n"
    assert not complete
    assert b"never sent" not in data
    assert "ValueError: excinfo-after-marker" in log.text()


# ---------------------------------------------------------------------------- writing

def test_write_takes_bytes_only(srv):
    log = Log(srv)
    r = get(srv, "/sub/write-str")
    assert_500_logged(srv, r, log, "TypeError: write() takes bytes, not str")


def test_write_then_iterable(srv):
    r = get(srv, "/sub/write-bytes")
    assert (r.status_code, r.text) == (200, "via write; via iterable")


@pytest.mark.parametrize("kind,body", [("list", "one;two;three"), ("gen", "0;1;2;3;4;"),
                                       ("empty", ""), ("empty-gen", ""), ("tuple", "t1;t2")])
def test_iterables(srv, kind, body):
    r = get(srv, "/sub/iter/" + kind)
    assert (r.status_code, r.text) == (200, body)
    if kind in ("list", "empty", "tuple"):
        assert r.headers["Content-Length"] == str(len(body))


def test_iterable_of_str_is_a_500(srv):
    log = Log(srv)
    r = get(srv, "/sub/iter/str")
    assert_500_logged(srv, r, log, "must yield bytes, not str")


def test_the_applications_header_list_is_left_as_it_was(srv):
    with requests.Session() as s:          # one connection: one process, even under prefork
        for _ in range(3):
            r = s.get(srv.url("/sub/shared-headers"), timeout=30)
            assert r.text == "[('Content-Type', 'text/plain')]"
            assert r.headers["Content-Length"] == str(len(r.text))


def test_close_is_called_after_a_normal_response(srv):
    t = token()
    r = get(srv, "/sub/close/normal?token=" + t)
    assert r.text == "abc"
    assert wait_file(os.path.join(srv.root, "marks", t)) == "closed after 3 chunks"


def test_close_is_called_when_iteration_raises(srv):
    t = token()
    log = Log(srv)
    data, _ = raw_get(srv, "/sub/close/raise?token=" + t)
    _, _, body = split_response(data)
    assert dechunk(body) == (b"a", False)
    assert wait_file(os.path.join(srv.root, "marks", t)) == "closed after 1 chunks"
    assert "RuntimeError: iteration-failure-marker" in log.text()


def test_close_is_called_when_the_client_disconnects(srv):
    t = token()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"GET /sub/close/disconnect?token=%s HTTP/1.1\r\nHost: x\r\n\r\n" % t.encode())
        recv_until(s, b"", b"first\n")
    open(os.path.join(srv.root, "flags", t), "w").close()
    mark = wait_file(os.path.join(srv.root, "marks", t), limit=60)
    assert mark is not None and mark.startswith("closed after ")
    assert int(mark.split()[2]) < 2001       # stopped producing once the client was gone


@pytest.mark.parametrize("kind", ["cut", "cut-gen", "cut-write"])
def test_output_is_cut_at_the_declared_content_length(srv, kind):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("GET", "/sub/cl/" + kind)
        r = conn.getresponse()
        assert r.getheader("Content-Length") == "5"
        assert r.read() == b"hello"
        conn.request("GET", "/sub/iter/list")          # same connection: nothing left over
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"one;two;three")
    finally:
        conn.close()


@pytest.mark.parametrize("kind,sent", [("short", b"short body"), ("short-gen", b"short body"),
                                       ("short-empty", b"")])
def test_body_shorter_than_content_length_is_a_broken_response(srv, kind, sent):
    log = Log(srv)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("GET", "/sub/cl/" + kind)
        r = conn.getresponse()
        assert r.getheader("Content-Length") == "100"
        with pytest.raises(http.client.IncompleteRead) as exc:
            r.read()
        assert exc.value.partial == sent
    finally:
        conn.close()
    assert "response truncated: Content-Length is 100" in log.text()


@pytest.mark.parametrize("mount,seen", [("/sub", "HEAD"), ("/headoff", "HEAD"),
                                        ("/headon", "GET"), ("/headfilter", "GET")])
def test_head(srv, mount, seen):
    data, _ = raw_get(srv, mount + "/head", method="HEAD", headers=b"Connection: close\r\n")
    status, headers, body = split_response(data)
    assert " 200 " in status
    assert body == b""
    assert headers["content-length"] == "10"
    assert headers["x-seen-method"] == seen
    r = get(srv, mount + "/head")
    assert (r.text, r.headers["X-Seen-Method"]) == ("0123456789", "GET")


def test_head_may_omit_the_declared_body(srv):
    log = Log(srv)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("HEAD", "/sub/head-nobody")
        r = conn.getresponse()
        assert (r.status, r.getheader("Content-Length"), r.read()) == (200, "10", b"")
        conn.request("GET", "/sub/head-nobody")        # the connection stays usable
        r = conn.getresponse()
        assert r.read() == b"0123456789"
    finally:
        conn.close()
    assert "truncated" not in log.text()


# ---------------------------------------------------------------------------- wsgi.input

INPUT = b"line one\nline two\nthird line without newline"


def _pieces(data, n):
    return [data[i:i + n] for i in range(0, len(data), n)]


@pytest.mark.parametrize("mode,expected", [
    ("read-n?n=3", _pieces(INPUT, 3) + [b""]),
    ("read-n?n=100000", [INPUT, b""]),
    ("read-all", [INPUT, b""]),
    ("read-none", [INPUT]),
    ("readline", INPUT.splitlines(True) + [b""]),
    ("readline-size?n=4", [b"line", b" one", b"\n", b"line", b" two", b"\n", b"thir", b"d li",
                           b"ne w", b"itho", b"ut n", b"ewli", b"ne", b""]),
    ("readlines", INPUT.splitlines(True)),
    ("iter", INPUT.splitlines(True)),
])
def test_input(srv, mode, expected):
    r = requests.post(srv.url("/sub/input/" + mode), data=INPUT, timeout=30)
    assert r.status_code == 200, r.text
    assert [x.encode("latin-1") for x in r.json()] == expected


def test_input_empty_body(srv):
    r = requests.post(srv.url("/sub/input/readline"), data=b"", timeout=30)
    assert r.json() == [""]


def test_large_body_with_content_length(srv):
    with open(os.path.join(srv.root, "files", "big"), "rb") as f:
        data = f.read()
    r = requests.post(srv.url("/sub/input/digest?n=70000"), data=data, timeout=60)
    assert r.json() == {"md5": hashlib.md5(data).hexdigest(), "length": len(data),
                        "content_length": str(len(data))}


def test_chunked_request_body_with_wsgi_chunked_request_on(srv):
    data = os.urandom(3 * 1024 * 1024 + 7)
    r = requests.post(srv.url("/chunked/input/digest"), data=iter(_pieces(data, 100000)),
                      timeout=60)
    assert r.json() == {"md5": hashlib.md5(data).hexdigest(), "length": len(data),
                        "content_length": None}


def test_chunked_request_lines(srv):
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (b"line one\n", b"line two\nthird line",
                                                            b""))
    data, _ = srv.raw(b"POST /chunked/input/readlines HTTP/1.1\r\nHost: x\r\nConnection: close"
                      b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    _, _, resp = split_response(data)
    assert json.loads(resp) == ["line one\n", "line two\n", "third line"]


def test_chunked_request_body_is_refused_with_411_by_default(srv):
    r = requests.post(srv.url("/sub/input/digest"), data=iter([b"abc", b"def"]), timeout=30)
    assert r.status_code == 411


# ---------------------------------------------------------------------------- logging

def test_wsgi_errors_and_print_go_to_the_error_log(srv):
    t = token()
    r = get(srv, "/sub/errors?token=" + t)
    assert r.text == "logged"
    text = srv.log()
    for marker in ("wsgi-errors-marker", "stdout-marker", "stderr-marker"):
        assert "%s %s" % (marker, t) in text


# ---------------------------------------------------------------------------- file_wrapper

def test_file_wrapper_streams_a_large_file(srv):
    with open(os.path.join(srv.root, "files", "big"), "rb") as f:
        data = f.read()
    r = get(srv, "/sub/file/real?name=big")
    assert r.headers["Content-Length"] == str(BIG)
    assert hashlib.md5(r.content).hexdigest() == hashlib.md5(data).hexdigest()
    r = get(srv, "/sub/file/real?name=big&seek=1000")
    assert r.headers["Content-Length"] == str(BIG - 1000)
    assert r.content == data[1000:]


def test_file_wrapper_head(srv):
    data, _ = raw_get(srv, "/sub/file/real?name=big", method="HEAD",
                      headers=b"Connection: close\r\n")
    status, headers, body = split_response(data)
    assert " 200 " in status and headers["content-length"] == str(BIG) and body == b""


def test_file_wrapper_over_a_file_like_object(srv):
    r = get(srv, "/sub/file/bytesio")
    assert r.content == b"in-memory file " * 1000


# ---------------------------------------------------------------------------- failures

def test_exception_before_headers_is_a_500_and_the_server_goes_on(srv):
    log = Log(srv)
    r = get(srv, "/sub/raise-before")
    assert_500_logged(srv, r, log, "RuntimeError: raise-before-marker", SCRIPT)
    assert "raise-before-marker" not in r.text
    assert get(srv, "/sub/iter/list").text == "one;two;three"


def test_exception_after_headers_cuts_a_chunked_response(srv):
    log = Log(srv)
    data, _ = raw_get(srv, "/sub/raise-after")
    status, headers, body = split_response(data)
    assert " 200 " in status and headers["transfer-encoding"] == "chunked"
    assert dechunk(body) == (b"first chunk\nsecond chunk\n", False)
    assert "RuntimeError: raise-after-marker" in log.text()


def test_exception_after_headers_cuts_a_response_with_content_length(srv):
    data, closed_cleanly = raw_get(srv, "/sub/raise-after?cl=1")
    status, headers, body = split_response(data)
    assert " 200 " in status and headers["content-length"] == "100000"
    assert body == b"first chunk\nsecond chunk\n"        # the server closed before 100000 bytes


BAD = {
    "syntax.wsgi": "SyntaxError",
    "importerror.wsgi": "ModuleNotFoundError: No module named 'no_such_module_wx_test'",
    "raises.wsgi": "ImportError: raised-importerror-marker",
    "nocallable.wsgi": "does not contain WSGI application 'application'",
}


@pytest.mark.parametrize("script", sorted(BAD))
def test_script_that_cannot_be_used_is_a_500_naming_script_and_reason(srv, script):
    log = Log(srv)
    r = get(srv, "/bad/" + script)
    assert r.status_code == 500
    assert "Traceback" not in r.text
    lines = [line for line in log.text().splitlines()
             if "apps/bad/" + script in line and BAD[script] in line]
    assert lines, log.text()
    good = get(srv, "/bad/good.wsgi")
    assert (good.status_code, good.text) == (200, "good script\n")
    assert get(srv, "/sub/iter/list").status_code == 200


# ---------------------------------------------------------------------------- process state

def test_module_state_persists_between_requests(srv):
    seen = {}
    with requests.Session() as s:
        for _ in range(6):
            pid, count = s.get(srv.url("/sub/counter"), timeout=30).text.split()
            seen.setdefault(pid, []).append(int(count))
    for counts in seen.values():
        assert counts == list(range(counts[0], counts[0] + len(counts)))
    assert max(len(c) for c in seen.values()) > 1


# ---------------------------------------------------------------------------- streaming

def test_generator_output_is_flushed_as_produced(srv):
    t = token()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"GET /sub/stream?token=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                  % t.encode())
        # the generator is now waiting for the flag: the first chunk must already be here
        data = recv_until(s, b"", b"first\n")
        assert b"second" not in data
        open(os.path.join(srv.root, "flags", t), "w").close()
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
    _, _, body = split_response(data)
    assert dechunk(body) == (b"first\nsecond\n", True)

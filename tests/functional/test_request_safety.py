"""The request object against hostile applications (issue 9, items 1 and 3), prefork and event.

1. An application may call the request object (``write``, ``wsgi.input``, the sink itself) from
   any thread at any time: calls from several threads are serialised, calls after the request
   ended raise RuntimeError, and no sequence of calls crashes the child (before the fix each of the
   first three cases below ended children with ``exit signal Segmentation fault``).
3. What goes on the wire is the header list as ``start_response`` validated it: changing the list
   afterwards changes nothing (before the fix an appended ``Content-Length: 1`` was sent before a
   32-byte body and the next pipelined response started inside it), and the request object's own
   ``start()`` refuses anything ``start_response`` would have refused.

Apps: tests/functional/apps/reqsafe.wsgi.
"""
import re
import socket
import threading
import time

import pytest
import requests

from functional.conftest import module_server

CONF = """
WSGIScriptAlias /rs {root}/apps/reqsafe.wsgi application-group=%{GLOBAL}
WSGIScriptAlias /sub {root}/apps/reqsafe.wsgi application-group=sub
"""
ENDED = "RuntimeError: mod_wsgi_ext: this request has already ended"


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param, processes=2, threads=8)


@pytest.fixture(autouse=True)
def log_mark(srv):
    """Where the error log stood when the test began: crashes are counted from there."""
    srv.mark = len(srv.log())


def crashes(srv):
    return [line for line in srv.log()[srv.mark:].splitlines()
            if "exit signal" in line or "Fatal Python error" in line]


def count_log(srv, text):
    return srv.log().count(text)


def wait_count(srv, text, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if count_log(srv, text) >= n or crashes(srv):
            break
        time.sleep(0.1)
    return count_log(srv, text)


def still_serves(srv):
    resp = requests.get(srv.url("/rs/hello"), timeout=10)
    return resp.status_code == 200 and resp.content == b"hello\n"


# ------------------------------------------------------------------ 1. threads


@pytest.mark.parametrize("mount", ["/rs", "/sub"])
def test_write_from_a_thread_after_the_app_returned(srv, mount):
    tag = "write-after-return: "
    before = count_log(srv, tag)
    tries = 12
    for _ in range(tries):
        resp = requests.get(srv.url(mount + "/write-after-return"), timeout=20)
        assert resp.status_code == 200
        assert resp.content.startswith(b"head\n")
    assert wait_count(srv, tag, before + tries) >= before + tries, srv.log()[-3000:]
    assert not crashes(srv), crashes(srv)
    # every thread ran into the end of its request (none wrote 20000 blocks unhindered)
    lines = [line for line in srv.log().splitlines() if tag in line][before:]
    assert all(ENDED in line for line in lines), lines
    assert still_serves(srv)


def test_two_threads_writing_at_once_send_whole_chunks(srv):
    size, count = 4096, 200
    for _ in range(4):
        resp = requests.get(srv.url("/rs/two-writers?%d,%d" % (size, count)), timeout=30)
        assert resp.status_code == 200
        body = resp.content
        assert len(body) == 2 * size * count
        chunks = [body[i:i + size] for i in range(0, len(body), size)]
        assert all(c in (b"A" * size, b"B" * size) for c in chunks)
        assert chunks.count(b"A" * size) == count
    assert not crashes(srv), crashes(srv)
    assert "two-writers:" not in srv.log()


def slow_post(srv, path, total, step=262144, pause=0.02):
    """POST ``total`` bytes in steps (another thread sends them) while reading the answer, which
    comes before the body is all sent; returns the answer."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        def send():
            try:
                s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                          b"Connection: close\r\n\r\n" % (path.encode(), total))
                sent = 0
                while sent < total:
                    n = min(step, total - sent)
                    s.sendall(b"p" * n)
                    sent += n
                    time.sleep(pause)
            except OSError:
                pass          # Apache may give up on the rest of the body
        sender = threading.Thread(target=send)
        sender.start()
        answer = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
        sender.join()
    return answer


@pytest.mark.parametrize("mount", ["/rs", "/sub"])
def test_thread_reading_the_body_after_the_app_returned(srv, mount):
    tag = "late-reader: "
    before = count_log(srv, tag)
    tries = 4
    for _ in range(tries):
        answer = slow_post(srv, mount + "/late-reader", 10 * 1024 * 1024)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b"returned\n" in answer
    assert wait_count(srv, tag, before + tries) >= before + tries, srv.log()[-3000:]
    assert not crashes(srv), crashes(srv)
    lines = [line for line in srv.log().splitlines() if tag in line][before:]
    assert all(ENDED in line for line in lines), lines
    assert still_serves(srv)


def test_every_call_on_the_request_after_it_ended_raises_runtime_error(srv):
    tag = "sink-after-return "
    before = count_log(srv, tag)
    resp = requests.get(srv.url("/rs/sink-after-return"), timeout=10)
    assert resp.status_code == 200 and resp.content == b"returned\n"
    assert wait_count(srv, tag, before + 9) >= before + 9
    lines = [line.split(tag, 1)[1] for line in srv.log().splitlines() if tag in line][before:]
    for name in ("read", "write", "start", "sendfile", "abort", "log", "aborted", "header_only"):
        assert "%s: %s" % (name, ENDED) in lines, lines
    assert "alive=False" in lines
    assert not crashes(srv)


# ------------------------------------------------------------------ 3. response head


def read_response(f):
    """(status line, [(name, value)], body) of one response from a buffered socket file."""
    status = f.readline()
    headers = []
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.rstrip(b"\r\n").partition(b":")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    h = {k.lower(): v for k, v in headers}
    if "content-length" in h:
        body = f.read(int(h["content-length"]))
    elif h.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            n = int(f.readline().strip(), 16)
            if not n:
                f.readline()
                break
            body += f.read(n)
            f.readline()
    else:
        body = f.read()
    return status, headers, body


def pipelined(srv, path, then="/rs/hello"):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET %s HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n" % (path.encode(), then.encode()))
        f = s.makefile("rb")
        first = read_response(f)
        second = read_response(f)
        rest = f.read()
    return first, second, rest


BODY = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("how", ["append-length", "negative-length", "nul", "crlf", "clear"])
@pytest.mark.parametrize("kind", ["iter", "list"])
def test_header_list_changed_after_start_response_is_not_sent(srv, how, kind):
    (status, headers, body), second, rest = pipelined(srv, "/rs/headers-after?%s-%s" % (how, kind))
    assert status.startswith(b"HTTP/1.1 200"), (status, headers, body)
    assert body == BODY
    names = [n.lower() for n, _ in headers]
    assert ("X-Before", "1") in headers, headers
    assert "x-injected" not in names
    lengths = [v for n, v in headers if n.lower() == "content-length"]
    assert lengths in ([], ["32"]), headers
    # the next response on the connection is intact
    assert second[0].startswith(b"HTTP/1.1 200"), second
    assert second[2] == b"hello\n"
    assert rest == b""
    assert not crashes(srv)


@pytest.mark.parametrize("which", ["status-100", "status-101", "status-103", "status-199",
                                   "te-chunked", "te-chunked-length", "te-gzip"])
def test_a_head_that_leaves_the_framing_to_the_body_is_refused(srv, which):
    """A 1xx status is an interim response (a client reads the next response after its head, so
    the body would become one), and Transfer-Encoding is how Apache frames the body (given by
    the application, Apache sent the body unframed under it): refused like any invalid header,
    and what follows on the connection is the next request's response or nothing (Apache closes
    the connection after a 500), never the body."""
    (status, headers, body), second, rest = pipelined(srv, "/rs/framing?" + which)
    assert status.startswith(b"HTTP/1.1 500"), (status, headers, body)
    assert b"SMUGGLE" not in body + rest
    assert not any(n.lower() == "x-smuggled" for n, _ in second[1]), second
    if second[0]:
        assert second[0].startswith(b"HTTP/1.1 200") and second[2] == b"hello\n", second
    else:
        assert ("Connection", "close") in headers, headers
    assert rest == b""
    assert not crashes(srv)


@pytest.mark.parametrize("which", ["status", "code", "code-1xx", "code-999", "transfer-encoding",
                                   "connection",
                                   "length-negative", "length-junk",
                                   "length-huge", "value-nul", "value-crlf", "name-space",
                                   "name-colon", "name-empty", "not-tuple", "not-str", "wide"])
def test_request_start_refuses_what_start_response_would(srv, which):
    resp = requests.get(srv.url("/rs/raw-start?" + which), timeout=10)
    assert resp.status_code == 200
    assert resp.text in ("ValueError", "TypeError"), resp.text
    assert "X-Injected" not in resp.headers and "X-A" not in resp.headers
    assert not crashes(srv)


def test_the_response_head_is_given_once(srv):
    resp = requests.get(srv.url("/rs/raw-start?twice"), timeout=10)
    assert resp.status_code == 200 and resp.content == b"twice"
    assert resp.headers.get("X-First") == "1"
    assert "X-Second" not in resp.headers and "X-Third" not in resp.headers
    assert not crashes(srv)


@pytest.mark.parametrize("which", ["pipe", "past-end", "negative", "closed"])
def test_request_sendfile_refuses_what_is_not_part_of_a_regular_file(srv, which):
    resp = requests.get(srv.url("/rs/raw-sendfile?" + which), timeout=10)
    assert resp.status_code == 200
    assert resp.text == "ValueError"
    assert not crashes(srv)


def test_a_call_from_inside_a_call_raises_instead_of_waiting_for_itself(srv):
    resp = requests.get(srv.url("/rs/reentrant"), timeout=20)
    assert resp.status_code == 200
    assert resp.text == ("ValueError | ['RuntimeError: mod_wsgi_ext: the request object was "
                         "called again from inside one of its own calls']"), resp.text
    assert not crashes(srv)


def test_no_second_request_object_can_be_made(srv):
    resp = requests.get(srv.url("/rs/clone"), timeout=10)
    assert resp.status_code == 200
    assert "made" not in resp.text.split(), resp.text
    assert not crashes(srv)


def test_many_such_requests_at_once(srv):
    """All of the above from eight clients at once: the server answers them all and keeps
    serving (no crash, no deadlock)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        kind = i % 4
        if kind == 0:
            return requests.get(srv.url("/sub/write-after-return"), timeout=30).status_code
        if kind == 1:
            return requests.get(srv.url("/rs/two-writers?1000,50"), timeout=30).status_code
        if kind == 2:
            return int(slow_post(srv, "/rs/late-reader", 1024 * 1024, pause=0.005)[9:12])
        return requests.get(srv.url("/rs/sink-after-return"), timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(48)))
    assert statuses == [200] * 48
    assert not crashes(srv), crashes(srv)
    assert still_serves(srv)

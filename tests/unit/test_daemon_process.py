"""A real daemon process (mod_wsgi_ext/daemon, run from this tree) driven over its socket by a
Python stand-in for the Apache child: requests, bodies, errors, the secret, retiring."""
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from unit.conftest import ROOT, _load

P = _load("mod_wsgi_ext/daemon/protocol.py")
APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "daemon_apps", "app.wsgi")
MAIN = os.path.join(ROOT, "mod_wsgi_ext", "daemon", "__main__.py")
SECRET = os.urandom(32)


class Daemon:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="wx-daemon-test-")
        self.path = os.path.join(self.dir, "sock")
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(self.path)
        self.listener.listen(16)
        r, w = os.pipe()
        self.log = os.path.join(self.dir, "log")
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, MAIN, "--group", "g", "--listen-fd",
                 str(self.listener.fileno()), "--secret-fd", str(r), "--log-level", "7"]
                + list(args), pass_fds=(self.listener.fileno(), r), stderr=err, stdout=err)
        os.close(r)
        os.write(w, SECRET)
        os.close(w)

    def connect(self, secret=SECRET):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.path)
        s.sendall(P.preamble(secret))
        return s

    def logtext(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def request(sock, path="/", body=None, **meta):
    pairs = [(":script", APP), (":callable", "application"), (":group", "grp"),
             (":body", "1" if body is not None else "0"), ("REQUEST_METHOD", "GET"),
             ("PATH_INFO", path), ("SCRIPT_NAME", ""), ("SERVER_NAME", "x"),
             ("SERVER_PORT", "80"), ("SERVER_PROTOCOL", "HTTP/1.1"), ("wsgi.url_scheme", "http"),
             ("mod_wsgi.application_group", "grp")]
    pairs += [(":" + k, str(v)) for k, v in meta.items()]
    sock.sendall(P.frame(b"Q", P.encode_pairs(pairs)))
    reader = P.Reader(sock, P.RESPONSE_TYPES)
    out = {"frames": [], "body": b"", "logs": []}
    body = body or b""
    while True:
        t, payload = reader.read()
        out["frames"].append(t)
        if t == b"R":
            n = P.U32.unpack(payload)[0]
            chunk, body = body[:n], body[n:]
            sock.sendall(P.frame(b"B", chunk) if chunk else P.frame(b"E"))
        elif t == b"S":
            out["status"], out["headers"] = P.decode_head(payload)
        elif t in (b"D", b"F"):
            out["body"] += payload
        elif t == b"L":
            out["logs"].append(payload[1:].decode())
        elif t == b"Z":
            out["end"] = P.decode_end(payload)
            return out
        elif t in (b"X", b"G"):
            return out


@pytest.fixture
def daemon():
    made = []

    def start(*args):
        d = Daemon(*args)
        made.append(d)
        return d
    yield start
    for d in made:
        d.stop()


def test_hello_and_persistent_connection(daemon):
    d = daemon("--threads", "2")
    s = d.connect()
    first = request(s)
    second = request(s)
    assert first["status"] == "200 OK" and first["end"] == (0, 0)
    assert b"hits=1" in first["body"] and b"hits=2" in second["body"]
    assert b"group=grp mt=True mp=False" in first["body"]


def test_body_is_pulled_in_frames(daemon):
    d = daemon()
    s = d.connect()
    data = os.urandom(700000)
    out = request(s, "/echo", body=data)
    assert out["body"] == data
    assert out["frames"].count(b"R") >= 3


def test_exception_is_500_with_traceback(daemon):
    d = daemon()
    s = d.connect()
    out = request(s, "/boom")
    assert out["end"][0] == 500 and "S" not in out
    assert any("RuntimeError: boom from the app" in line for line in out["logs"])
    assert b"hits=" in request(s)["body"]       # the connection is still usable


def test_print_reaches_the_log_with_the_group_name(daemon):
    d = daemon()
    s = d.connect()
    out = request(s, "/print")
    assert "to wsgi.errors" in out["logs"]
    deadline = time.time() + 5
    while "printed by the app" not in d.logtext() and time.time() < deadline:
        time.sleep(0.05)
    assert "(daemon g): printed by the app" in d.logtext()


def test_wrong_secret_is_refused(daemon):
    d = daemon()
    s = d.connect(secret=bytes(32))
    with pytest.raises((P.Closed, ConnectionResetError)):
        request(s)
    assert "wrong secret" in d.logtext()


def test_maximum_requests_retires_with_goodbye(daemon):
    d = daemon("--maximum-requests", "2")
    s = d.connect()
    request(s)
    request(s)
    reader = P.Reader(s, P.RESPONSE_TYPES)
    assert reader.read()[0] == b"G"      # the idle connection is told, then closed
    assert d.proc.wait(10) == 0


def test_request_timeout_answers_504_and_logs_the_stack(daemon):
    d = daemon("--request-timeout", "1", "--threads", "2")
    s = d.connect()
    out = request(s, "/sleep", QUERY_STRING="30")
    assert out["end"] == (504, P.FLAG_CLOSE)
    text = d.logtext()
    assert "request-timeout" in text and "time.sleep" in text
    assert d.proc.wait(20) == 0


def test_oversized_response_header_is_an_error_naming_it(daemon):
    """The head never leaves the daemon: the application's error is answered 500 by Apache (as
    any exception before the head) and the log names the header and the limit."""
    d = daemon()
    s = d.connect()
    out = request(s, "/bighead")
    assert out["frames"][-1] == b"Z" and b"S" not in out["frames"]
    assert out["end"][0] == 500
    assert any("'X-Huge'" in line and "over the limit" in line for line in out["logs"])

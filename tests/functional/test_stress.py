"""Many concurrent clients against one server, event MPM (several threads per child) and prefork.

Each client thread keeps an HTTP/1.1 connection alive and runs a random mix: hello world in
%{GLOBAL}; one script in several interpreter groups (%{GLOBAL}, two %{RESOURCE} mounts, two named
groups); POST bodies read fully and in part; applications raising before and after the headers;
clients hanging up in the middle of a large response or of their request body; a script rewritten
several times while it is being requested (script reloading); URLs protected by auth scripts in the
main interpreter and in a named group.  The server is restarted gracefully once in the middle.
Every answer must be one of the expected outcomes; the server must answer afterwards; each
(process, group) must have loaded the script once (no interpreter created twice for one group); the
error log must show no crash.

The mix is random: the seed is in every failure message, and WX_STRESS_SEED=N repeats a run.
"""
import base64
import hashlib
import http.client
import os
import random
import re
import socket
import struct
import threading
import time

import pytest

from functional import authconf
from functional.server import Apache

S = "{root}/apps/stress.wsgi"

CONF = """
WSGIScriptAlias /hello {root}/apps/hello.wsgi application-group=%%{GLOBAL}
WSGIScriptAlias /global %(s)s application-group=%%{GLOBAL}
WSGIScriptAlias /res1 %(s)s
WSGIScriptAlias /res2 %(s)s
WSGIScriptAlias /named-a %(s)s application-group=alpha
WSGIScriptAlias /named-b %(s)s application-group=beta
WSGIScriptAlias /reload {root}/state/reload.wsgi application-group=gamma
WSGIScriptAlias /auth {root}/apps/auth_echo.wsgi
<Location /auth>
  AuthType Basic
  AuthName "Stress"
  AuthBasicProvider wsgi
  WSGIAuthUserScript {root}/apps/auth/all.py
  Require valid-user
</Location>
WSGIScriptAlias /auth-group {root}/apps/auth_echo.wsgi application-group=beta
<Location /auth-group>
  AuthType Basic
  AuthName "Stress Group"
  AuthBasicProvider wsgi
  WSGIAccessScript {root}/apps/auth/all.py application-group=auth
  WSGIAuthUserScript {root}/apps/auth/all.py application-group=auth
  WSGIAuthGroupScript {root}/apps/auth/all.py application-group=auth
  Require wsgi-group staff
</Location>
""" % {"s": S}

GROUP_PATHS = ["/global", "/res1", "/res2", "/named-a", "/named-b"]
RELOAD = '''
def application(environ, start_response):
    body = b"version=%d"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''
VERSIONS = 40     # at most; the rewriter stops with the clients
CRASH = ("Segmentation fault", "exit signal", "Fatal Python error", "AH00052", "nasty error",
         "exception in the request dispatcher")

SETUPS = {
    # mpm: (server keyword arguments, client threads, operations per client)
    "event": (dict(mpm="event", processes=2, threads=8), 12, 150),
    "prefork": (dict(mpm="prefork", processes=8), 7, 170),
}


def _write_reload(root, version):
    path = os.path.join(root, "state", "reload.wsgi")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(RELOAD % version)
    os.chmod(tmp, 0o644)
    stamp = 1_600_000_000 + version     # distinct modification times whatever the clock
    os.utime(tmp, (stamp, stamp))
    os.rename(tmp, path)


@pytest.fixture(scope="module", params=sorted(SETUPS))
def srv(request):
    kw, _, _ = SETUPS[request.param]
    server = authconf.prepare(Apache(CONF, modules=authconf.MODULES, **kw))
    state = os.path.join(server.root, "state")
    os.mkdir(state)
    os.chmod(state, 0o755)
    _write_reload(server.root, 0)
    request.addfinalizer(server.cleanup)
    server.start()
    server.mpm_name = request.param
    return server


class Client:
    """One client thread: a keep-alive connection and the checks of every operation."""

    def __init__(self, srv, rng, failures, tokens, versions):
        self.srv = srv
        self.rng = rng
        self.failures = failures
        self.tokens = tokens          # (pid, group) -> set of tokens, shared (under the GIL)
        self.versions = versions      # [latest version written]
        self.seen_version = 0
        self.conn = None

    # -------------------------------------------------------------- plumbing
    def fail(self, what, detail):
        self.failures.append("%s: %s" % (what, detail))

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes or the exception that cut it).  A request on a reused
        connection that the server had closed meanwhile (keep-alive timeout, recycling) is sent
        again once on a new connection."""
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=20)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if fresh or attempt:
                    raise
                continue
            try:
                data = resp.read()
            except (http.client.IncompleteRead, ConnectionResetError) as e:
                self.close()
                return resp.status, resp, e
            if resp.will_close:
                self.close()
            return resp.status, resp, data
        raise AssertionError("unreachable")

    # -------------------------------------------------------------- operations
    def hello(self):
        status, _, body = self.request("GET", "/hello")
        if (status, body) != (200, b"hello world\n"):
            self.fail("GET /hello", (status, body))

    def group(self):
        path = self.rng.choice(GROUP_PATHS)
        status, _, body = self.request("GET", path)
        m = re.fullmatch(rb"group=(.*) token=(\w+) pid=(\d+)", body) if status == 200 else None
        if not m:
            self.fail("GET " + path, (status, body))
            return
        group, token, pid = m.group(1).decode(), m.group(2).decode(), int(m.group(3))
        expected = {"/global": "", "/named-a": "alpha", "/named-b": "beta"}.get(path)
        ok = group == expected if expected is not None else group.endswith("|" + path)
        if not ok:
            self.fail("GET " + path, "application group %r" % group)
        self.tokens.setdefault((pid, group), set()).add(token)

    def post_full(self):
        path = self.rng.choice(GROUP_PATHS)
        data = self.rng.randbytes(self.rng.choice([0, 1, 1000, 70000, 300000]))
        status, _, body = self.request("POST", path + "?post=full", body=data)
        want = ("len=%d sha1=%s" % (len(data), hashlib.sha1(data).hexdigest())).encode()
        if (status, body) != (200, want):
            self.fail("POST %s full %d bytes" % (path, len(data)), (status, body[:200]))

    def post_partial(self):
        path = self.rng.choice(GROUP_PATHS)
        data = self.rng.randbytes(self.rng.choice([5000, 100000]))
        status, _, body = self.request("POST", path + "?post=1000", body=data)
        if (status, body) != (200, b"got=1000"):
            self.fail("POST %s partial" % path, (status, body[:200]))

    def raise_before(self):
        path = self.rng.choice(GROUP_PATHS)
        status, _, body = self.request("GET", path + "?raise=before")
        if status != 500:
            self.fail("GET %s?raise=before" % path, (status, body[:200]))

    def raise_after(self):
        path = self.rng.choice(GROUP_PATHS)
        status, _, body = self.request("GET", path + "?raise=after")
        # the response was under way: it must end cut (no last chunk), never as a complete 200
        if status != 200 or not isinstance(body, Exception):
            self.fail("GET %s?raise=after" % path, (status, body))

    def hang_up_in_response(self):
        """Ask for 4 MB, read a little, hang up (sometimes with a reset)."""
        self.close()
        path = self.rng.choice(GROUP_PATHS)
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=20) as s:
            s.sendall(b"GET %s?big=64 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
            head = s.recv(4096)
            if not head.startswith(b"HTTP/1.1 200"):
                self.fail("hang up in the response of " + path, head[:200])
            if self.rng.random() < 0.5:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def hang_up_in_body(self):
        """Promise 100000 bytes of body, send 1000, stop sending: a 400 or 500, or nothing."""
        self.close()
        path = self.rng.choice(GROUP_PATHS)
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=20) as s:
            s.sendall(b"POST %s?post=full HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000"
                      b"\r\n\r\n" % path.encode() + b"y" * 1000)
            s.shutdown(socket.SHUT_WR)
            answer = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            if answer and not re.match(rb"HTTP/1\.1 (400|500) ", answer):
                self.fail("hang up in the body for " + path, answer[:200])

    def reload(self):
        status, _, body = self.request("GET", "/reload")
        m = re.fullmatch(rb"version=(\d+)", body) if status == 200 else None
        if not m:
            self.fail("GET /reload", (status, body))
            return
        version = int(m.group(1))
        if version < self.seen_version or version > self.versions[0]:
            self.fail("GET /reload", "version %d after %d (latest written %d)"
                      % (version, self.seen_version, self.versions[0]))
        self.seen_version = max(self.seen_version, version)

    def auth(self):
        path = self.rng.choice(["/auth", "/auth-group"])
        kind = self.rng.choice(["good", "bad", "none"])
        headers = {}
        if kind != "none":
            password = "secret" if kind == "good" else "wrong"
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("alice:" + password).encode()).decode()
        status, _, body = self.request("GET", path, headers=headers)
        want = (200, b"user=alice auth_type=Basic\n") if kind == "good" else (401, None)
        if status != want[0] or (want[1] is not None and body != want[1]):
            self.fail("GET %s (%s credentials)" % (path, kind), (status, body[:200]))

    OPERATIONS = [(hello, 6), (group, 8), (post_full, 4), (post_partial, 3), (raise_before, 2),
                  (raise_after, 2), (hang_up_in_response, 1), (hang_up_in_body, 1), (reload, 4),
                  (auth, 4)]

    def run(self, count):
        ops = [op for op, weight in self.OPERATIONS for _ in range(weight)]
        try:
            for _ in range(count):
                op = self.rng.choice(ops)
                try:
                    op(self)
                except Exception as e:
                    self.fail(op.__name__, repr(e))
                    self.close()
        finally:
            self.close()


def _rewriter(srv, versions, stop):
    """Rewrite the reloaded script a few times while the clients run; restart the server
    gracefully once in the middle (children exit, running their shutdown, under load)."""
    for version in range(1, VERSIONS):
        if stop.wait(0.1):
            return
        versions[0] = version       # first: a client may see the new file at once
        _write_reload(srv.root, version)
        if version == 4:
            srv.graceful()


def test_concurrent_mixed_load(srv):
    _, nclients, count = SETUPS[srv.mpm_name]
    seed = int(os.environ.get("WX_STRESS_SEED") or random.randrange(1 << 30))
    failures, tokens, versions = [], {}, [0]
    clients = [Client(srv, random.Random(seed + i), failures, tokens, versions)
               for i in range(nclients)]
    stop = threading.Event()
    rewriter = threading.Thread(target=_rewriter, args=(srv, versions, stop))
    threads = [threading.Thread(target=c.run, args=(count,)) for c in clients]
    rewriter.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    rewriter.join()
    assert not any(t.is_alive() for t in threads), "clients hung (seed %d)" % seed
    assert not failures, "seed %d: %d unexpected outcomes, first ones:\n%s" % (
        seed, len(failures), "\n".join(failures[:20]))

    # the server still answers, with every group as it was
    check = Client(srv, random.Random(seed), failures, tokens, versions)
    for _ in range(10):
        check.hello()
        check.group()
    check.close()
    assert not failures, failures[:20]

    # one interpreter, and one load of the script, per group in each process
    twice = {key: sorted(t) for key, t in tokens.items() if len(t) > 1}
    assert not twice, "seed %d: the script was loaded more than once in %s" % (seed, twice)

    time.sleep(0.2)
    crashes = [line for line in srv.log().splitlines() if any(c in line for c in CRASH)]
    assert not crashes, "seed %d:\n%s" % (seed, "\n".join(crashes[:20]))


@pytest.mark.parametrize("path", ["/global", "/named-a"])
def test_thread_local_data_lasts_between_requests(srv, path):
    """A worker thread keeps its Python thread state in every interpreter: threading.local() data
    (a per-thread database connection, say) survives from one request to the next."""
    counts = {}
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    for _ in range(40):
        conn.request("GET", path + "?local=1")
        resp = conn.getresponse()
        body = resp.read()
        m = re.fullmatch(rb"thread=(\d+/\d+) count=(\d+)", body)
        assert resp.status == 200 and m, (resp.status, body)
        counts.setdefault(m.group(1), []).append(int(m.group(2)))
    conn.close()
    # each thread counts on from where it was (earlier tests may have started the count)
    for seen in counts.values():
        assert seen == list(range(seen[0], seen[0] + len(seen))), counts
    assert max(len(seen) for seen in counts.values()) > 1, counts

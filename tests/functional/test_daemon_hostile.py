"""Daemon mode under attack (issue 11 review): a process of the daemons' own user outside Apache,
and a hostile application (apps/daemon/hostile.wsgi), against a real Apache under both MPMs."""
import os
import re
import socket
import subprocess

import pytest

from functional.conftest import module_server

CONF = """
Timeout 10
WSGIDaemonProcess h threads=2 socket-timeout=5
WSGIScriptAlias /h {root}/apps/daemon/hostile.wsgi process-group=h
"""

# Run as the daemons' user and group (as a CGI script or a shell of www-data would): read the
# daemon's memory through /proc, take every 32-byte Python bytes object that looks random as a
# candidate secret and try it on the group's socket with a forged REMOTE_USER.
STEAL = r'''
import re, socket, struct, sys
from collections import Counter
pid, path, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    maps = open("/proc/%d/maps" % pid).read().splitlines()
    mem = open("/proc/%d/mem" % pid, "rb", 0)
except OSError as e:
    print("no access:", e)
    sys.exit(3)
found = set()
for line in maps:
    addr, perms = line.split()[:2]
    lo, hi = (int(x, 16) for x in addr.split("-"))
    if not perms.startswith("rw") or hi - lo > 1 << 28:
        continue
    try:
        mem.seek(lo)
        data = mem.read(hi - lo)
    except OSError:
        continue
    for m in re.finditer(re.escape(struct.pack("<q", 32)), data):
        o = m.start()
        c = data[o + 16:o + 48]
        if (o % 8 == 0 and o >= 8 and len(c) == 32 and data[o + 48:o + 49] == b"\0"
                and c.count(0) < 3 and sum(b > 127 for b in c) > 8):
            found.add((data[o - 8:o], c))
types = Counter(t for t, c in found)
if not types:
    print("no candidates")
    sys.exit(1)
bytes_type = types.most_common(1)[0][0]
q = b"".join(k + b"\0" + v + b"\0" for k, v in [
    (b":script", script.encode()), (b":callable", b"application"), (b":group", b""),
    (b"REMOTE_USER", b"admin"), (b"REQUEST_METHOD", b"GET"), (b"PATH_INFO", b"/whoami"),
    (b"SCRIPT_NAME", b""), (b"SERVER_NAME", b"x"), (b"SERVER_PORT", b"80"),
    (b"SERVER_PROTOCOL", b"HTTP/1.1"), (b"wsgi.url_scheme", b"http")])
for t, c in found:
    if t != bytes_type:
        continue
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    s.connect(path)
    s.sendall(b"WXD\x01" + c + b"Q" + struct.pack(">I", len(q)) + q)
    try:
        r = s.recv(1000)
    except OSError:
        r = b""
    if r:
        print("INJECTED", r[:200])
        sys.exit(0)
print("no candidate worked")
sys.exit(1)
'''


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param)


def raw(srv, path, timeout=15):
    """(head, body) of a GET read until the server closes (Connection: close)."""
    port = int(re.search(r":(\d+)", srv.url("/")).group(1))
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while True:
        try:
            c = s.recv(65536)
        except ConnectionResetError:
            break
        if not c:
            break
        data += c
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def daemon_pid(srv):
    return int(re.search(r"pid=(\d+)", raw(srv, "/h/whoami")[1].decode()).group(1))


def test_a_process_of_the_daemons_user_cannot_steal_the_secret(srv):
    if os.geteuid() != 0:
        pytest.skip("needs root to act as the daemons' user")
    pid = daemon_pid(srv)
    sock = [f for f in os.listdir(srv.root) if f.startswith("wsgi.") and f.endswith(".sock")][0]
    p = subprocess.run(["/usr/bin/python3", "-c", STEAL, str(pid), os.path.join(srv.root, sock),
                        os.path.join(srv.root, "apps/daemon/hostile.wsgi")],
                       user="www-data", group="www-data", extra_groups=[],
                       capture_output=True, text=True, timeout=120)
    assert "INJECTED" not in p.stdout, "a www-data process forged a request: " + p.stdout
    assert p.returncode == 1, p.stdout + p.stderr


def test_an_oversized_response_head_is_a_500_with_the_reason_logged(srv):
    head, _ = raw(srv, "/h/huge-header")
    assert head.startswith("HTTP/1.1 500 "), head
    head, _ = raw(srv, "/h/many-headers")
    assert head.startswith("HTTP/1.1 500 "), head
    assert srv.wait_log("over the limit of 1048576 bytes between a daemon and Apache")
    assert raw(srv, "/h/whoami")[0].startswith("HTTP/1.1 200 ")


@pytest.mark.parametrize("path", ["raise-mid", "exit-mid", "raise-mid-nocl", "segv-mid"])
def test_a_response_that_breaks_midway_is_never_a_complete_200(srv, path):
    head, body = raw(srv, "/h/" + path)
    assert head.startswith("HTTP/1.1 200 ")
    m = re.search(r"(?i)content-length: (\d+)", head)
    if m:
        assert len(body) < int(m.group(1))
    else:
        assert "chunked" in head.lower()
        assert not body.endswith(b"0\r\n\r\n"), "the cut response ends like a complete one"
    assert raw(srv, "/h/whoami")[0].startswith("HTTP/1.1 200 ")


@pytest.mark.parametrize("path", ["nul-header", "crlf-header", "nul-name", "status-junk",
                                  "status-nul"])
def test_headers_that_would_corrupt_the_frames_are_a_500(srv, path):
    head, _ = raw(srv, "/h/" + path)
    assert head.startswith("HTTP/1.1 500 "), head
    assert "evil" not in head.lower()


# Run as another user who can write in the WSGISocketPrefix directory (a shared directory, or
# /tmp for the children's own user, who owns the socket file there): move the daemon's socket
# aside, listen in its place, record what an Apache child sends and answer in the daemon's name.
IMPOSTOR = r'''
import os, socket, struct, sys
path = sys.argv[1]
os.rename(path, path + ".moved")
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, 0o777)
s.listen(5)
s.settimeout(30)
print("ready", flush=True)
c, _ = s.accept()
c.settimeout(5)
got = b""
try:
    while len(got) < 36:
        d = c.recv(36 - len(got))
        if not d:
            break
        got += d
except OSError:
    pass
if len(got) == 36:
    body = b"forged by an impostor"
    head = b"200 OK\0Content-Length\0" + str(len(body)).encode() + b"\0"
    def frame(t, p):
        return t + struct.pack(">I", len(p)) + p
    try:
        c.recv(1 << 20)
        c.sendall(frame(b"P", struct.pack(">I", os.getpid())) + frame(b"S", head)
                  + frame(b"D", body) + frame(b"Z", struct.pack(">II", 0, 0)))
    except OSError:
        pass
print("received", got[:4], len(got), flush=True)
'''


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_a_socket_put_in_the_daemons_place_gets_nothing_from_the_children(apache, mpm):
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    import pwd
    srv = apache("WSGISocketPrefix {root}/shared/wsgi\nWSGIDaemonProcess h threads=2 "
                 "connect-timeout=3\nWSGIScriptAlias /h {root}/apps/daemon/hostile.wsgi "
                 "process-group=h\n", mpm=mpm, start=False)
    shared = os.path.join(srv.root, "shared")
    os.mkdir(shared)
    nobody = pwd.getpwnam("nobody")
    os.chown(shared, nobody.pw_uid, nobody.pw_gid)
    srv.start()
    path = os.path.join(shared, [f for f in os.listdir(shared) if f.endswith(".sock")][0])
    imp = subprocess.Popen(["/usr/bin/python3", "-c", IMPOSTOR, path], user="nobody",
                           group="nogroup", extra_groups=[], stdout=subprocess.PIPE, text=True)
    try:
        assert imp.stdout.readline().strip() == "ready"
        head, body = raw(srv, "/h/whoami", timeout=30)
        out = imp.communicate(timeout=40)[0]
    finally:
        if imp.poll() is None:
            imp.kill()
            imp.wait()
    assert b"impostor" not in body, "the child took an impostor's answer: %s" % head
    assert "received b'WXD" not in out, "the child sent the secret to an impostor: " + out
    assert head.startswith("HTTP/1.1 503 "), head
    assert srv.wait_log("is not this Apache's")


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_a_request_that_kills_its_daemon_does_not_put_the_group_in_back_off(apache, mpm):
    """Back-off is for a group that cannot start.  A process that started and then died under a
    request (os._exit, a crash in a C extension, the OOM killer) is replaced at once, however
    soon: otherwise any client repeating one bad request keeps the whole group down."""
    srv = apache("WSGIDaemonProcess h threads=2 connect-timeout=3\n"
                 "WSGIScriptAlias /h {root}/apps/daemon/hostile.wsgi process-group=h\n", mpm=mpm)
    assert raw(srv, "/h/whoami")[0].startswith("HTTP/1.1 200 ")
    for _ in range(4):
        head, _ = raw(srv, "/h/exit-mid", timeout=30)
        assert not head.startswith("HTTP/1.1 503 "), head
    head, _ = raw(srv, "/h/whoami", timeout=30)
    assert head.startswith("HTTP/1.1 200 "), head
    assert "did not outlive its start-up" not in srv.log()


def test_an_application_cannot_use_its_groups_secret_on_another_group(apache):
    """Two groups of the same user: the application of one holds its own secret (it is in its
    process), which must not open the other group's socket (it would run requests there with
    any REMOTE_USER it likes)."""
    srv = apache("WSGIDaemonProcess a threads=2\nWSGIDaemonProcess b threads=2\n"
                 "WSGIScriptAlias /a {root}/apps/daemon/hostile.wsgi process-group=a\n"
                 "WSGIScriptAlias /b {root}/apps/daemon/hostile.wsgi process-group=b\n")
    assert raw(srv, "/b/whoami")[0].startswith("HTTP/1.1 200 ")     # both groups are up
    socks = sorted(f for f in os.listdir(srv.root) if f.startswith("wsgi.") and f.endswith(".sock"))
    assert len(socks) == 2
    b_sock = os.path.join(srv.root, [f for f in socks if f.endswith(".1.sock")][0])
    head, body = raw(srv, "/a/forge?" + b_sock)
    assert head.startswith("HTTP/1.1 200 ")
    assert body == b"refused"

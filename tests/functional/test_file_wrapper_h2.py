"""wsgi.file_wrapper sends exactly the wrapped file, whatever the application does with its
descriptor afterwards (issue 9, item 2).

The application (apps/reqsafe.wsgi, ``bigfile``) returns a 20 MiB file in ``wsgi.file_wrapper``;
its ``close()`` closes the file and at once opens "decoy" files, which take the descriptor number
the file had.  mod_http2 (``H2CopyFiles Off``, the default) sends file buckets later, from its own
thread: when Apache only borrowed the application's descriptor, the client got the decoy's bytes
(or junk) under a 200 with the full Content-Length.  Checked byte for byte over HTTP/1.1 (prefork
and event), h2c, and h2 and HTTP/1.1 over TLS (event: mod_http2 does not run under prefork), in
the main interpreter and a sub-interpreter.  Also here, on mod_http2's worker threads: item 1's
thread writing after the application returned (it segfaulted the child before).
"""
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import time

import pytest

from functional.server import MODDIR, Apache, free_port

SIZE = 20 * 1024 * 1024
CURL = shutil.which("curl")

CONF = """
WSGIScriptAlias /rs {root}/apps/reqsafe.wsgi application-group=%{GLOBAL}
WSGIScriptAlias /sub {root}/apps/reqsafe.wsgi application-group=sub
"""
H2_CONF = """
LoadModule http2_module %(moddir)s/mod_http2.so
Protocols h2c http/1.1
"""
TLS_CONF = """
LoadModule ssl_module %(moddir)s/mod_ssl.so
LoadModule socache_shmcb_module %(moddir)s/mod_socache_shmcb.so
SSLSessionCache shmcb:{root}/ssl_scache(512000)
Listen 127.0.0.1:%(tls_port)d
<VirtualHost 127.0.0.1:%(tls_port)d>
    SSLEngine on
    SSLCertificateFile %(cert)s
    SSLCertificateKeyFile %(key)s
    Protocols %(protocols)s
    WSGIScriptAlias /rs {root}/apps/reqsafe.wsgi application-group=%%{GLOBAL}
    WSGIScriptAlias /sub {root}/apps/reqsafe.wsgi application-group=sub
</VirtualHost>
"""

pytestmark = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def self_signed(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def server(request, mpm):
    tmp = tempfile.mkdtemp(prefix="wx-tls-")
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    cert, key = self_signed(tmp)
    while True:
        tls_port = free_port()
        conf = CONF + TLS_CONF % dict(moddir=MODDIR, tls_port=tls_port, cert=cert, key=key,
                                      protocols="h2 http/1.1" if mpm == "event" else "http/1.1")
        if mpm == "event":
            conf = H2_CONF % dict(moddir=MODDIR) + conf
        srv = Apache(conf, mpm=mpm, processes=2, threads=8)
        if srv.port != tls_port:
            break
        srv.cleanup()           # both free ports came out the same: pick again
    request.addfinalizer(srv.cleanup)
    srv.start()
    srv.tls_port = tls_port
    # the file: every 4-byte word is its own index, so a shifted or foreign block shows
    srv.big = os.path.join(srv.root, "big.bin")
    data = b"".join(struct.pack(">I", i) for i in range(SIZE // 4))
    with open(srv.big, "wb") as f:
        f.write(data)
    with open(srv.big + ".decoy", "wb") as f:
        f.write(b"D" * SIZE)
    for p in (srv.big, srv.big + ".decoy"):
        os.chmod(p, 0o644)
    srv.digest = hashlib.sha256(data).hexdigest()
    srv.data = data
    return srv


@pytest.fixture(scope="module")
def prefork(request):
    return server(request, "prefork")


@pytest.fixture(scope="module")
def event(request):
    return server(request, "event")


CASES = [
    ("prefork", "http1.1"), ("prefork", "https1.1"),
    ("event", "http1.1"), ("event", "h2c"), ("event", "h2-tls"), ("event", "https1.1"),
]


def fetch(srv, proto, path, out):
    if proto in ("http1.1", "h2c"):
        url = "http://127.0.0.1:%d%s" % (srv.port, path)
    else:
        url = "https://127.0.0.1:%d%s" % (srv.tls_port, path)
    flag = {"http1.1": "--http1.1", "https1.1": "--http1.1", "h2c": "--http2-prior-knowledge",
            "h2-tls": "--http2"}[proto]
    p = subprocess.run([CURL, "-sS", "-k", flag, "-o", out, "-w", "%{http_code} %{http_version}",
                        url], capture_output=True, text=True, timeout=120)
    return p.stdout.strip(), p.stderr


def first_difference(a, b):
    for i in range(0, min(len(a), len(b)), 65536):
        if a[i:i + 65536] != b[i:i + 65536]:
            for j in range(i, i + 65536):
                if a[j] != b[j]:
                    return j
    return min(len(a), len(b))


@pytest.mark.parametrize("mount", ["/rs", "/sub"])
@pytest.mark.parametrize("mpm,proto", CASES)
def test_file_wrapper_sends_exactly_the_file(request, mpm, proto, mount, tmp_path):
    srv = request.getfixturevalue(mpm)
    want_version = "2" if proto.startswith("h2") else "1.1"
    mark = len(srv.log())
    for i in range(3):
        out = str(tmp_path / ("out%d" % i))
        status, err = fetch(srv, proto, "%s/bigfile?%s" % (mount, srv.big), out)
        assert status == "200 %s" % want_version, (status, err)
        with open(out, "rb") as f:
            got = f.read()
        if hashlib.sha256(got).hexdigest() != srv.digest:
            at = first_difference(got, srv.data)
            pytest.fail("request %d: %d bytes received (want %d), first difference at byte %d: "
                        "%r" % (i, len(got), SIZE, at, got[at:at + 16]))
    crashes = [line for line in srv.log()[mark:].splitlines() if "exit signal" in line]
    assert not crashes, crashes


@pytest.mark.parametrize("mpm,proto", CASES)
def test_file_wrapper_of_a_file_apache_cannot_open_again(request, mpm, proto, tmp_path):
    """Mode 0 and unlinked: Apache duplicates the application's descriptor instead."""
    srv = request.getfixturevalue(mpm)
    want_version = "2" if proto.startswith("h2") else "1.1"
    size = 4 * 1024 * 1024
    out = str(tmp_path / "out")
    for _ in range(2):
        status, err = fetch(srv, proto, "/rs/unreadable?%d,%s.decoy" % (size, srv.big), out)
        assert status == "200 %s" % want_version, (status, err)
        with open(out, "rb") as f:
            got = f.read()
        if got != srv.data[:size]:
            at = first_difference(got, srv.data)
            pytest.fail("%d bytes received (want %d), first difference at byte %d: %r"
                        % (len(got), size, at, got[at:at + 16]))


@pytest.mark.parametrize("mpm,proto", CASES)
def test_file_truncated_by_the_application_while_apache_sends_it(request, mpm, proto, tmp_path):
    """The client gets the whole file or a cut response, never a crashed child (the file is not
    memory-mapped, so reading past its new end is a short read, not SIGBUS)."""
    srv = request.getfixturevalue(mpm)
    mark = len(srv.log())
    size = 8 * 1024 * 1024
    for i in range(3):
        out = str(tmp_path / ("out%d" % i))
        fetch(srv, proto, "/rs/truncated?%d" % size, out)
        with open(out, "rb") as f:
            got = f.read()
        if not proto.startswith("h2"):
            # (mod_http2 announces DATA frames by the bucket's length, and a file that shrinks
            # meanwhile desynchronises that client's connection, as for static files)
            assert got == b"t" * len(got) and len(got) <= size
    crashes = [line for line in srv.log()[mark:].splitlines() if "exit signal" in line]
    assert not crashes, crashes
    status, err = fetch(srv, proto, "/rs/hello", str(tmp_path / "hello"))
    assert status.startswith("200"), (status, err)


@pytest.mark.parametrize("proto", ["h2c", "h2-tls"])
def test_thread_writing_after_the_app_returned_over_http2(event, proto, tmp_path):
    """Item 1 on mod_http2's worker threads: the late writes raise RuntimeError, no crash."""
    mark = len(event.log())
    tries = 8
    for i in range(tries):
        status, err = fetch(event, proto, "/sub/write-after-return", str(tmp_path / ("w%d" % i)))
        assert status == "200 2", (status, err)
    deadline = time.time() + 20
    while time.time() < deadline:
        lines = [line for line in event.log()[mark:].splitlines() if "write-after-return:" in line]
        if len(lines) >= tries:
            break
        time.sleep(0.1)
    assert len(lines) == tries, event.log()[mark:][-3000:]
    assert all("RuntimeError: mod_wsgi_ext: this request has already ended" in line
               for line in lines), lines
    crashes = [line for line in event.log()[mark:].splitlines() if "exit signal" in line]
    assert not crashes, crashes

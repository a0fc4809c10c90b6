"""A hostile application for the daemon-mode review tests (tests/functional/test_daemon_hostile.py):
each path misbehaves in one way."""
import os
import sys
import time


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/huge-header":
        start_response("200 OK", [("X-Big", "a" * (2 << 20))])
        return [b"never"]
    if path == "/many-headers":
        start_response("200 OK", [("X-H%d" % i, "v" * 1000) for i in range(1100)])
        return [b"never"]
    if path == "/nul-header":
        start_response("200 OK", [("X-A", "x\0y"), ("X-B", "z")])
        return [b"nul"]
    if path == "/crlf-header":
        start_response("200 OK", [("X-A", "x\r\nSet-Cookie: evil=1")])
        return [b"crlf"]
    if path == "/nul-name":
        start_response("200 OK", [("X-A\0X-Evil", "1")])
        return [b"nul"]
    if path == "/status-999":
        start_response("999 Nope", [])
        return [b"x"]
    if path == "/status-junk":
        start_response("abc", [])
        return [b"x"]
    if path == "/status-nul":
        start_response("200 O\0K", [("X-A", "1")])
        return [b"x"]
    if path == "/cl-short":
        start_response("200 OK", [("Content-Length", "100000")])
        return [b"x" * 10]
    if path == "/cl-long":
        start_response("200 OK", [("Content-Length", "10")])
        return [b"y" * 100000]
    if path == "/raise-mid":
        def gen():
            yield b"a" * 70000
            raise RuntimeError("boom mid body")
        start_response("200 OK", [("Content-Length", "200000")])
        return gen()
    if path == "/raise-mid-nocl":
        def gen():
            yield b"a" * 70000
            raise RuntimeError("boom mid body")
        start_response("200 OK", [])
        return gen()
    if path == "/exit-mid":
        def gen():
            yield b"a" * 70000
            sys.stdout.flush()
            os._exit(3)
        start_response("200 OK", [("Content-Length", "200000")])
        return gen()
    if path == "/segv-mid":
        def gen():
            yield b"a" * 70000
            import ctypes
            ctypes.string_at(0)
        start_response("200 OK", [])
        return gen()
    if path == "/segv":
        import ctypes
        ctypes.string_at(0)
    if path == "/infinite":
        def gen():
            while True:
                yield b"z" * 65536
        start_response("200 OK", [])
        return gen()
    if path == "/noread":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"did not read"]
    if path == "/read":
        n = len(environ["wsgi.input"].read())
        start_response("200 OK", [])
        return [str(n).encode()]
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or 3))
        start_response("200 OK", [])
        return [b"slept"]
    if path == "/fds":
        start_response("200 OK", [])
        return [("%d %d" % (os.getpid(), len(os.listdir("/proc/self/fd")))).encode()]
    if path == "/whoami":
        start_response("200 OK", [])
        return [("pid=%d uid=%d euid=%d gid=%d groups=%s" % (
            os.getpid(), os.getuid(), os.geteuid(), os.getgid(), os.getgroups())).encode()]
    if path == "/forge":
        # use this process's own secret on another group's socket, as another user
        import gc
        import socket
        import struct
        secret = [getattr(o, "secret", None) or o.secret_digest for o in gc.get_objects()
                  if type(o).__name__ == "Daemon"][0]
        q = b"".join(k + b"\0" + v + b"\0" for k, v in [
            (b":script", environ["SCRIPT_FILENAME"].encode()), (b":callable", b"application"),
            (b":group", b""), (b"REMOTE_USER", b"admin"), (b"REQUEST_METHOD", b"GET"),
            (b"PATH_INFO", b"/whoami"), (b"SCRIPT_NAME", b""), (b"SERVER_NAME", b"x"),
            (b"SERVER_PORT", b"80"), (b"SERVER_PROTOCOL", b"HTTP/1.1"),
            (b"wsgi.url_scheme", b"http")])
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(environ["QUERY_STRING"])
        s.sendall(b"WXD\x01" + secret + b"Q" + struct.pack(">I", len(q)) + q)
        try:
            got = s.recv(1000)
        except OSError:
            got = b""
        start_response("200 OK", [])
        return [b"INJECTED " + got if got else b"refused"]
    start_response("404 Not Found", [])
    return [b"?"]

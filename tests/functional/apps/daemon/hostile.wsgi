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
    start_response("404 Not Found", [])
    return [b"?"]

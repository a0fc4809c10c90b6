"""Daemon-mode test application: one route per behaviour the tests look at."""
import json
import os
import signal
import sys
import time

hits = 0


def application(environ, start_response):
    global hits
    hits += 1
    path = environ.get("PATH_INFO", "")
    qs = environ.get("QUERY_STRING", "")
    if path == "/env":
        body = json.dumps({k: v for k, v in environ.items()
                           if isinstance(v, (str, bool, int))}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/echo":
        data = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data]
    if path == "/count":
        n = 0
        while True:
            block = environ["wsgi.input"].read(65536)
            if not block:
                break
            n += len(block)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(n).encode()]
    if path == "/download":
        n = int(qs or "0")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        block = b"x" * 65536

        def gen():
            left = n
            while left > 0:
                yield block[:min(left, 65536)]
                left -= 65536
        return gen()
    if path == "/boom":
        raise RuntimeError("boom in daemon")
    if path == "/sleep":
        time.sleep(float(qs or "1"))
    if path == "/die":
        os._exit(7)
    if path == "/segv":
        import ctypes
        ctypes.string_at(0)     # a real segfault, in this thread
    if path == "/die-after-head":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def dying():
            yield b"first part\n"
            time.sleep(0.2)
            os._exit(9)
        return dying()
    if path == "/print":
        print("printed from the daemon app")
        environ["wsgi.errors"].write("wsgi.errors from the daemon app\n")
    if path == "/hold-gil":
        import ctypes
        ctypes.PyDLL(None).sleep(int(qs or "10"))     # libc sleep() with the GIL held
    if path == "/forever":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        class Forever:
            sent = 0

            def __iter__(self):
                return self

            def __next__(self):
                self.sent += 1
                return b"z" * 65536

            def close(self):
                print("forever closed after %d blocks" % self.sent)
        return Forever()
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def slow():
            for i in range(3):
                yield b"part%d\n" % i
                time.sleep(0.3)
        return slow()
    if path == "/error-status":
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"app says no"]
    body = ("pid=%d uid=%d hits=%d group=%s cwd=%s" % (
        os.getpid(), os.getuid(), hits, environ.get("mod_wsgi.process_group"), os.getcwd())).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]

import os
import sys
import time

hits = 0


def application(environ, start_response):
    global hits
    hits += 1
    path = environ.get("PATH_INFO", "")
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    if path == "/boom":
        raise RuntimeError("boom from the app")
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or 5))
    if path == "/print":
        print("printed by the app")
        environ["wsgi.errors"].write("to wsgi.errors\n")
    if path == "/bighead":
        start_response("200 OK", [("X-Huge", "x" * (2 << 20))])
        return [b""]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"chunk%d;" % i for i in range(3))
    body = ("pid=%d hits=%d group=%s mt=%s mp=%s" % (
        os.getpid(), hits, environ.get("mod_wsgi.application_group"),
        environ["wsgi.multithread"], environ["wsgi.multiprocess"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]

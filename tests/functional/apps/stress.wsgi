"""The application of the stress test (test_stress.py): one script mounted in several interpreter
groups; the query string picks what it does.

    (empty)          "group=<application group> token=<id of this load of the script> pid=<pid>"
    post=full        read the whole body: "len=<n> sha1=<hex>"
    post=N           read N bytes of the body (and leave the rest): "got=<n>"
    raise=before     raise before start_response (a 500)
    raise=after      send part of the body, then raise (a cut response)
    big=N            N blocks of 64 kB, flushed one by one (clients hang up in the middle)
    local=1          "thread=<pid>/<id> count=<requests the thread served here (threading.local)>"
    tstates=1        "tstates=<number of Python thread states of this interpreter>"
"""
import ctypes
import hashlib
import os
import threading
import uuid

TOKEN = uuid.uuid4().hex
_local = threading.local()


def _body(environ):
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream, length


def application(environ, start_response):
    query = dict(part.split("=", 1) for part in environ["QUERY_STRING"].split("&") if "=" in part)
    if query.get("raise") == "before":
        raise RuntimeError("stress: raised before start_response on purpose")
    if "post" in query:
        stream, length = _body(environ)
        if query["post"] == "full":
            data = stream.read(length)
            text = "len=%d sha1=%s" % (len(data), hashlib.sha1(data).hexdigest())
        else:
            data = stream.read(int(query["post"]))
            text = "got=%d" % len(data)
        body = text.encode()
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if query.get("raise") == "after":
        return _then_raise(start_response)
    if "big" in query:
        return _big(start_response, int(query["big"]))
    if "tstates" in query:
        body = ("tstates=%d" % _thread_states()).encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    if "local" in query:
        _local.count = getattr(_local, "count", 0) + 1
        body = ("thread=%d/%d count=%d" % (os.getpid(), threading.get_ident(),
                                            _local.count)).encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    body = ("group=%s token=%s pid=%d" % (environ["mod_wsgi.application_group"], TOKEN,
                                          os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _thread_states():
    api = ctypes.pythonapi
    api.PyInterpreterState_Get.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
    api.PyThreadState_Next.restype = ctypes.c_void_p
    api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
    count, ts = 0, api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Get())
    while ts:
        count += 1
        ts = api.PyThreadState_Next(ts)
    return count


def _then_raise(start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"partial " * 64
    raise RuntimeError("stress: raised after the headers on purpose")


def _big(start_response, blocks):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(blocks * 65536))])
    block = b"x" * 65536
    for _ in range(blocks):
        yield block

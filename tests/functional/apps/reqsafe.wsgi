"""Applications that use the request from other threads, after it ended, hand Apache files they
close at once, or change their headers after start_response (test_request_safety.py,
test_file_wrapper_h2.py).  The first path segment after the mount picks one; what threads saw
goes to the error log as "reqsafe: ..." lines (the test may be answered by another child than the
one that logs).

    write-after-return   writes, then a thread calls write() in a loop while the app returns
    two-writers          two threads write 'A' and 'B' chunks at once; the body must be whole
                         chunks (query: chunk size, chunks per thread)
    late-reader          a thread keeps reading wsgi.input after the app returned
    sink-after-return    keeps the request object (the sink) and uses it from a thread after
                         the request ended: every call must raise RuntimeError
    raw-start            calls the sink's start() directly with a header the Python side would
                         refuse (query: which); answers the exception's type ("twice": calls
                         start() twice, then start_response, and answers "twice")
    raw-sendfile         calls the sink's sendfile() with what is not a regular file or a range
                         outside the file (query: which); answers the exception's type
    reentrant            calls the request from inside one of its own calls (a header value's
                         repr); answers what both calls did
    clone                tries to copy, pickle, instantiate or subclass the request type
    bigfile              serves FILE (query) with wsgi.file_wrapper, closes it, then opens
                         decoy files that take its descriptor number while Apache may still send
    unreadable           the same with a temporary file of mode 0 (query: size,decoy)
    truncated            a temporary file of SIZE (query) emptied by close()
    headers-after        changes its header list after start_response (query: how)
    hello                answers "hello"
"""
import os
import sys
import threading
import time

DECOYS = []


def log(text):
    sys.stderr.write("reqsafe: %s\n" % text)
    sys.stderr.flush()


def _writer(write, tag):
    n = 0
    try:
        while n < 20000:
            write(b"x" * 1024)
            n += 1
        log("%s: done without error" % tag)
    except BaseException as e:
        log("%s: %s: %s after %d writes" % (tag, type(e).__name__, e, n))


def write_after_return(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"head\n")
    threading.Thread(target=_writer, args=(write, "write-after-return")).start()
    return [b""]


def two_writers(environ, start_response):
    size, count = (int(v) for v in environ["QUERY_STRING"].split(","))
    write = start_response("200 OK", [("Content-Type", "application/octet-stream")])
    errors = []

    def run(ch):
        try:
            for _ in range(count):
                write(ch * size)
        except BaseException as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(ch,)) for ch in (b"A", b"B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        log("two-writers: %s" % errors)
    return []


def _reader(stream):
    total = 0
    try:
        while True:
            data = stream.read(65536)
            if not data:
                log("late-reader: end of body after %d bytes" % total)
                return
            total += len(data)
    except BaseException as e:
        log("late-reader: %s: %s after %d bytes" % (type(e).__name__, e, total))


def late_reader(environ, start_response):
    environ["wsgi.input"].read(1)
    threading.Thread(target=_reader, args=(environ["wsgi.input"],)).start()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"returned\n"]


def _use_sink(sink):
    time.sleep(0.3)
    calls = [("read", lambda: sink.read(10)), ("write", lambda: sink.write(b"late", True)),
             ("start", lambda: sink.start(200, "OK", [])),
             ("sendfile", lambda: sink.sendfile(0, 0, 1)), ("abort", sink.abort),
             ("log", lambda: sink.log(3, "late")), ("aborted", lambda: sink.aborted),
             ("header_only", lambda: sink.header_only)]
    for name, call in calls:
        try:
            call()
            log("sink-after-return %s: no error" % name)
        except RuntimeError as e:
            log("sink-after-return %s: RuntimeError: %s" % (name, e))
        except BaseException as e:
            log("sink-after-return %s: %s: %s" % (name, type(e).__name__, e))
    log("sink-after-return alive=%r" % sink.alive)


def sink_after_return(environ, start_response):
    sink = start_response.__self__.sink
    threading.Thread(target=_use_sink, args=(sink,)).start()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"returned\n"]


RAW_HEADERS = {
    "transfer-encoding": [("Transfer-Encoding", "chunked")],
    "connection": [("connection", "keep-alive")],
    "length-negative": [("Content-Length", "-5")],
    "length-junk": [("Content-Length", "12abc")],
    "length-huge": [("Content-Length", "99999999999999999999999")],
    "value-nul": [("X-A", "a\x00b")],
    "value-crlf": [("X-A", "a\r\nX-Injected: 1")],
    "name-space": [("X A", "b")],
    "name-colon": [("X-A:", "b")],
    "name-empty": [("", "b")],
    "not-tuple": [["X-A", "b"]],
    "not-str": [("X-A", b"b")],
    "wide": [("X-A", "\u20ac")],
}


def raw_start(environ, start_response):
    sink = start_response.__self__.sink
    which = environ["QUERY_STRING"]
    if which == "twice":
        sink.start(200, "OK", [("X-First", "1")])
        sink.start(201, "Created", [("X-Second", "1")])
        start_response("202 Accepted", [("X-Third", "1")])
        return [b"twice"]
    try:
        if which == "status":
            sink.start(200, "OK\r\nX-Injected: 1", [])
        elif which == "code":
            sink.start(20, "OK", [])
        elif which == "code-1xx":
            sink.start(101, "Switching Protocols", [])
        elif which == "code-999":
            sink.start(999, "Odd", [])
        else:
            sink.start(200, "OK", RAW_HEADERS[which])
        answer = "accepted"
    except ValueError:      # UnicodeEncodeError included
        answer = "ValueError"
    except TypeError:
        answer = "TypeError"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [answer.encode()]


def reentrant(environ, start_response):
    """A header value whose repr() (made for the error message while start() holds the request)
    calls the request again from the same thread: that call must raise, not wait for itself."""
    sink = start_response.__self__.sink
    inner = []

    class Evil(str):
        def __repr__(self):
            try:
                sink.log(3, "reqsafe: from inside start()")
                inner.append("no error")
            except RuntimeError as e:
                inner.append("RuntimeError: %s" % e)
            return "Evil()"

    try:
        sink.start(200, "OK", [("X-A", Evil("a\nb"))])
        outer = "accepted"
    except Exception as e:
        outer = type(e).__name__
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%s | %s" % (outer, inner)).encode()]


def raw_sendfile(environ, start_response):
    sink = start_response.__self__.sink
    which = environ["QUERY_STRING"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    r, w = os.pipe()
    try:
        with open(__file__, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if which == "pipe":
                sink.sendfile(r, 0, 1)
            elif which == "past-end":
                sink.sendfile(f.fileno(), 1, size)
            elif which == "negative":
                sink.sendfile(f.fileno(), -1, 1)
            elif which == "closed":
                sink.sendfile(w + 100, 0, 1)
        answer = "accepted"
    except ValueError:
        answer = "ValueError"
    finally:
        os.close(r)
        os.close(w)
    return [answer.encode()]


def clone(environ, start_response):
    """Try to make a second request object from the sink: each attempt must fail."""
    import copy
    import pickle
    sink = start_response.__self__.sink
    tp = type(sink)
    attempts = [lambda: copy.copy(sink), lambda: copy.deepcopy(sink), lambda: pickle.dumps(sink),
                lambda: tp(), lambda: object.__new__(tp), lambda: tp.__new__(tp),
                lambda: type("Sub", (tp,), {})]
    outcomes = []
    for attempt in attempts:
        try:
            made = attempt()
            outcomes.append("made")
            made.write(b"x")        # would crash the child if an empty object could be made
        except Exception as e:
            outcomes.append(type(e).__name__)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [" ".join(outcomes).encode()]


class _Closing:
    def __init__(self, f, decoy):
        self.f = f
        self.decoy = decoy

    def read(self, n):
        return self.f.read(n)

    def fileno(self):
        return self.f.fileno()

    def tell(self):
        return self.f.tell()

    def close(self):
        self.f.close()
        # take the number the wrapped file had, and write over what it may still be read as
        for _ in range(4):
            fd = os.open(self.decoy, os.O_RDONLY)
            DECOYS.append(fd)
        if len(DECOYS) > 64:
            for fd in DECOYS[:-8]:
                os.close(fd)
            del DECOYS[:-8]


def bigfile(environ, start_response):
    path = environ["QUERY_STRING"]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](_Closing(open(path, "rb"), path + ".decoy"))


def unreadable(environ, start_response):
    """A file only this descriptor can read (mode 0, unlinked): Apache cannot open it again and
    must duplicate the descriptor instead."""
    import struct
    import tempfile
    size, decoy = environ["QUERY_STRING"].split(",", 1)
    f = tempfile.TemporaryFile()
    f.write(b"".join(struct.pack(">I", i) for i in range(int(size) // 4)))
    f.flush()
    os.fchmod(f.fileno(), 0)
    f.seek(0)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](_Closing(f, decoy))


class _Truncating(_Closing):
    def close(self):
        os.ftruncate(self.f.fileno(), 0)
        self.f.close()


def truncated(environ, start_response):
    """A file the application empties in close(), while Apache may still be sending it."""
    import tempfile
    f = tempfile.TemporaryFile()
    f.write(b"t" * int(environ["QUERY_STRING"]))
    f.flush()
    f.seek(0)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](_Truncating(f, None))


def headers_after(environ, start_response):
    how = environ["QUERY_STRING"]      # what to change, then "-list" or "-iter"
    headers = [("Content-Type", "text/plain"), ("X-Before", "1")]
    start_response("200 OK", headers)
    if how.startswith("append-length"):
        headers.append(("Content-Length", "1"))
    elif how.startswith("negative-length"):
        headers.append(("Content-Length", "-5"))
    elif how.startswith("nul"):
        headers[1] = ("X-Before", "a\x00b")
    elif how.startswith("crlf"):
        headers[1] = ("X-Before", "a\r\nX-Injected: 1")
    elif how.startswith("clear"):
        del headers[:]
    body = [b"0123456789abcdef0123456789abcdef"]
    return body if how.endswith("-list") else iter(body)


# what the client would read as a second response if the body went out unframed by Apache
FAKE = b"0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Smuggled: yes\r\n\r\nSMUGGLE"


def framing(environ, start_response):
    """An application (a proxy passing its upstream's status and headers on, say) that gives a
    status or header that would leave the framing of its body to the body itself."""
    which = environ["QUERY_STRING"]
    if which.startswith("status-"):
        start_response(which[7:] + " Interim", [("Content-Type", "text/plain")])
    elif which == "te-chunked":
        start_response("200 OK", [("Transfer-Encoding", "chunked")])
    elif which == "te-chunked-length":
        start_response("200 OK", [("transfer-encoding", "chunked"),
                                  ("Content-Length", str(len(FAKE)))])
    elif which == "te-gzip":
        start_response("200 OK", [("Transfer-Encoding", "gzip")])
    return iter([FAKE])


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]


ROUTES = {
    "hello": hello,
    "write-after-return": write_after_return,
    "two-writers": two_writers,
    "late-reader": late_reader,
    "sink-after-return": sink_after_return,
    "raw-start": raw_start,
    "raw-sendfile": raw_sendfile,
    "reentrant": reentrant,
    "clone": clone,
    "bigfile": bigfile,
    "unreadable": unreadable,
    "truncated": truncated,
    "headers-after": headers_after,
    "framing": framing,
}


def application(environ, start_response):
    return ROUTES[environ["PATH_INFO"].strip("/")](environ, start_response)

"""One connection from an Apache child, as the daemon sees it, and serving one request on it.

``Connection`` holds the socket, its frame reader and the lock every writer takes (a worker
writing the response, the watchdog answering a request that timed out).  ``Sink`` is what
``mod_wsgi_ext.wsgi.response.run()`` writes to in daemon mode: the same methods as the Apache
request object of embedded mode (``start``, ``write``, ``sendfile``, ``abort``, ``read``, ``log``),
backed by frames of ``daemon/protocol.py``.  ``serve()`` reads one request head, builds the environ
and runs the request through ``runtime.embedded.run_request`` -- the code embedded mode runs.
"""

import os
import socket
import threading
import time

from mod_wsgi_ext.daemon import protocol as P
from mod_wsgi_ext.runtime import embedded, loader

APLOG_ERR, APLOG_WARNING, APLOG_INFO = 3, 4, 6
FLUSH_AT = 65536
READ_CHUNK = 262144
_ENVIRON_FLAGS = {"wsgi.version": (1, 0), "wsgi.run_once": False, "wsgi.input_terminated": True}
_REQ_ALLOWED = frozenset(b"QBE")
MOD_WSGI_VERSION = (6, 1, 1)     # mod_wsgi.version, as embedded mode reports it


class Connection:
    __slots__ = ("sock", "reader", "lock", "authed", "final_sent", "head_sent", "broken",
                 "idle_since", "fileno")

    def __init__(self, sock):
        self.sock = sock
        self.fileno = sock.fileno()
        self.reader = P.Reader(sock, _REQ_ALLOWED)
        self.lock = threading.Lock()
        self.authed = False
        self.final_sent = False     # this request's Z/X/G has been written
        self.head_sent = False      # this request's S has been written
        self.broken = False         # must not be used again
        self.idle_since = time.monotonic()

    def send_locked(self, data):
        """sendall under the lock; False when the socket is broken or the request is over."""
        with self.lock:
            if self.final_sent or self.broken:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.broken = True
                return False

    def finish(self, data):
        """Write the request's final frame (with any pending output before it)."""
        with self.lock:
            if self.final_sent or self.broken:
                return False
            self.final_sent = True
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.broken = True
                return False

    def close(self):
        self.broken = True
        try:
            self.sock.close()
        except OSError:
            pass


class Sink:
    """The response sink of one request (see the module docstring)."""

    __slots__ = ("conn", "out", "size", "has_body", "eof", "header_only", "aborted", "gone",
                 "log_fallback")

    def __init__(self, conn, has_body, header_only, log_fallback):
        self.conn = conn
        self.out = []
        self.size = 0
        self.has_body = has_body
        self.eof = not has_body
        self.header_only = header_only
        self.aborted = False
        self.gone = False
        self.log_fallback = log_fallback    # callable(level, text) when the socket is gone

    def _flush(self):
        if not self.out:
            return not self.gone
        data = b"".join(self.out)
        self.out.clear()
        self.size = 0
        if self.conn.send_locked(data):
            return True
        self.gone = True
        return False

    def start(self, code, reason, headers):
        head = P.encode_head("%d %s" % (code, reason), headers)
        if len(head) > P.MAX_FRAME:
            name, value = max(headers, key=lambda h: len(h[0]) + len(h[1]))
            raise ValueError("the response head is %d bytes, over the limit of %d bytes between "
                             "a daemon and Apache; its largest header is %r (%d bytes)"
                             % (len(head), P.MAX_FRAME, name, len(name) + len(value)))
        self.conn.head_sent = True
        self.out.append(P.frame(b"S", head))

    def write(self, data, flush=False):
        if self.gone:
            return False
        n = len(data)
        if n <= P.MAX_FRAME:
            self.out.append(P.frame_header(b"F" if flush else b"D", n))
            self.out.append(data)
        else:
            view = memoryview(data)
            for i in range(0, n, P.MAX_FRAME):
                part = view[i:i + P.MAX_FRAME]
                self.out.append(P.frame_header(b"D", len(part)))
                self.out.append(bytes(part))
            if flush:
                self.out.append(P.frame_header(b"F", 0))
        self.size += n
        if flush or self.size >= FLUSH_AT:
            return self._flush()
        return True

    def sendfile(self, fd, offset, count):
        if not self._flush():
            return False
        sock = self.conn.sock
        while count > 0:
            n = min(count, P.MAX_FRAME)
            with self.conn.lock:
                if self.conn.final_sent or self.conn.broken:
                    self.gone = True
                    return False
                try:
                    sock.sendall(P.frame_header(b"D", n))
                    sent = 0
                    while sent < n:
                        r = os.sendfile(sock.fileno(), fd, offset + sent, n - sent)
                        if r == 0:
                            # the file is shorter than it was: the frame cannot be completed
                            raise OSError("file shrank while being sent")
                        sent += r
                except OSError:
                    self.conn.broken = True
                    self.gone = True
                    return False
            offset += n
            count -= n
        return True

    def abort(self):
        self.aborted = True

    def log(self, level, text):
        data = text.encode("utf-8", "backslashreplace")[:P.MAX_FRAME - 1]
        if self.gone or self.conn.final_sent:
            self.log_fallback(level, text)
            return
        self.out.append(P.frame(b"L", bytes([level]) + data))

    def read(self, n=-1):
        if self.eof:
            return b""
        if n is None or n < 0 or n > READ_CHUNK:
            n = READ_CHUNK
        self.out.append(P.frame(b"R", P.U32.pack(n)))
        if not self._flush():
            raise IOError("the Apache child went away while the request body was being read")
        try:
            ftype, payload = self.conn.reader.read()
        except (P.Closed, OSError) as e:
            self.conn.broken = True
            raise IOError("the request body could not be read: %s" % (e or "connection closed"))
        if ftype == b"E":
            self.eof = True
            return b""
        if ftype != b"B" or len(payload) > n:
            self.conn.broken = True
            raise P.ProtocolError("expected a body frame, got %r of %d bytes" % (ftype, len(payload)))
        return payload

    def final(self, ftype_payload):
        """Send pending output and the final frame; False when the connection cannot be reused."""
        self.out.append(ftype_payload)
        data = b"".join(self.out)
        self.out.clear()
        return self.conn.finish(data) and not self.gone


def build_environ(pairs, multithread, multiprocess):
    """Split a Q payload's pairs into (environ, meta)."""
    environ = dict(pairs)
    meta = {}
    for k in [k for k in environ if k[:1] == ":"]:
        meta[k] = environ.pop(k)
    environ.update(_ENVIRON_FLAGS)
    environ["wsgi.multithread"] = multithread
    environ["wsgi.multiprocess"] = multiprocess
    v = environ.get("apache.version")
    if v:
        try:
            environ["apache.version"] = tuple(int(x) for x in v.split("."))
        except ValueError:
            pass
    # mod_wsgi 6's environ extras, with the types embedded mode gives them (environ.c)
    now = time.time()
    try:
        environ["mod_wsgi.request_start"] = int(environ["mod_wsgi.request_start"]) / 1e6
    except (KeyError, ValueError):
        environ["mod_wsgi.request_start"] = now
    environ["mod_wsgi.version"] = MOD_WSGI_VERSION
    environ["mod_wsgi.thread_id"] = _thread_number()
    environ["mod_wsgi.server_pid"] = _SERVER_PID
    environ["mod_wsgi.script_name"] = environ.get("SCRIPT_NAME", "")
    environ["mod_wsgi.path_info"] = environ.get("PATH_INFO", "")
    environ.setdefault("mod_wsgi.handler_script", "")
    environ["mod_wsgi.queue_start"] = environ["mod_wsgi.request_start"]
    environ["mod_wsgi.daemon_start"] = now
    environ["mod_wsgi.application_start"] = now
    return environ, meta


_SERVER_PID = str(os.getppid())     # the Apache parent, a str as embedded mode gives it
_threads = threading.local()
_thread_count = [0]
_thread_lock = threading.Lock()


def _thread_number():
    """1, 2, ... for the worker threads of this process, as mod_wsgi.thread_id."""
    n = getattr(_threads, "n", None)
    if n is None:
        with _thread_lock:
            _thread_count[0] += 1
            n = _threads.n = _thread_count[0]
    return n


class Outcome:
    """What became of a request, for the server's bookkeeping."""
    KEEP, CLOSE, RETIRE = 0, 1, 2


def serve(conn, daemon):
    """Read one request from ``conn`` and answer it.  Returns an Outcome."""
    ftype, payload = conn.reader.read()
    if ftype != b"Q":
        raise P.ProtocolError("expected a request head, got frame %r" % ftype)
    conn.final_sent = False
    conn.head_sent = False
    environ, meta = build_environ(P.decode_pairs(payload), daemon.multithread,
                                  daemon.multiprocess)
    script = meta.get(":script", "")
    group = meta.get(":group", "")
    if daemon.retiring:
        conn.finish(P.frame(b"G"))
        return Outcome.CLOSE
    try:
        mtime = int(meta.get(":mtime", "-1"))
    except ValueError:
        mtime = -1
    reloading = meta.get(":reloading") == "1"
    if reloading and mtime < 0:     # Apache did not say: look ourselves
        try:
            mtime = os.stat(script).st_mtime_ns // 1000
        except OSError:
            pass
    if reloading and mtime >= 0:
        loaded = loader.loaded_mtime(script, group)
        if loaded is not None and loaded != mtime:
            # daemon mode reloads a changed script by replacing the process (mod_wsgi's way)
            daemon.log(APLOG_INFO, "script %s changed; restarting the daemon process" % script)
            daemon.retire("script %s changed" % script)
            conn.finish(P.frame(b"G"))
            return Outcome.CLOSE
    if daemon.queue_timeout:
        try:
            waited = time.time() - int(meta.get(":start", "0")) / 1e6
        except ValueError:
            waited = 0
        if waited > daemon.queue_timeout:
            daemon.log(APLOG_ERR, "queue-timeout: the request for %s waited %.1f s for a free "
                       "daemon thread (queue-timeout=%s); answered 504"
                       % (script, waited, daemon.queue_timeout))
            conn.finish(P.encode_end(504))
            return Outcome.KEEP
    sink = Sink(conn, meta.get(":body") == "1", meta.get(":head") == "1", daemon.log)
    daemon.note_script(script)
    status = embedded.run_request(
        sink, environ, script, meta.get(":callable", "application"), False,
        meta.get(":override") == "1", meta.get(":proxy_headers", ""),
        meta.get(":proxies", ""), mtime, group)
    if sink.gone or conn.broken:
        return Outcome.CLOSE
    if sink.aborted:
        sink.final(P.frame(b"X", b"the application failed after the response head was sent"))
        return Outcome.CLOSE
    # a body the application did not read was never sent to us (the child sends body data only
    # when asked with R), so the connection stays in step whatever the application read
    if not sink.final(P.encode_end(status or 0)):
        return Outcome.CLOSE
    return Outcome.KEEP


def peer_uid(sock):
    import struct
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]

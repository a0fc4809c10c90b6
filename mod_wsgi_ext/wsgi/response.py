"""Running a WSGI application and writing its response to a sink (PEP 3333, strict).

``run(app, environ, sink, ...)`` returns what the Apache handler should return: ``OK`` (0) once a
response was written, or an HTTP status for Apache to answer itself (500 when the application
failed before sending headers; the application's own error status under WSGIErrorOverride).

Rules kept here: ``start_response`` validates status and headers (str, latin-1, no control
characters, token header names, a Content-Length of digits, a status from 200 to 599, no
hop-by-hop header; the exception types are mod_wsgi's) and keeps a copy of the list, so that
what is sent is what was checked (the sink checks again); it refuses a second call without
``exc_info``; ``exc_info`` after headers were sent re-raises; headers go out with the first
non-empty body data (or at the end); bodies are bytes; a list or tuple of bytes gets a
Content-Length when the application set none; output stops at a declared Content-Length and a
short body is treated as broken (except for HEAD, where the body is never sent); ``close()`` is
always called; a failure after headers ends the response as broken (the client sees a cut
response, never a short 200).

The sink may have a ``header_only`` attribute (true for HEAD requests); a missing one means False.
"""

import os
import re
import stat
import sys
import traceback

OK = 0
HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_GATEWAY_TIME_OUT = 504
APLOG_ERR = 3

_STATUS = re.compile(r"([1-9][0-9]{2}) ([\t\x20-\x7e\x80-\xff]*)\Z")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
# status lines and header names already found valid (bounded: they come from applications)
_VALID_MAX = 256
_valid_status = {}
_valid_names = set()
_BAD_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
_LENGTH = re.compile(r"[ \t]*[0-9]+[ \t]*\Z")     # what Apache reads as the same number
_MAX_LENGTH = (1 << 63) - 1                        # what Apache can hold (apr_off_t)
_BYTES = (bytes, bytearray, memoryview)
# PEP 3333: hop-by-hop headers are the server's business; an application's would desynchronise
# the connection (Transfer-Encoding: chunked over an unchunked body) or lie about it
_HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                         "te", "trailer", "trailers", "transfer-encoding", "upgrade"))


class ClientGone(Exception):
    """The client connection went away while the response was being written."""


class FileWrapper:
    """``wsgi.file_wrapper``: iterate a file in blocks; served with sendfile where possible."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


def _fileno(wrapper):
    """The descriptor of a wrapped regular file (sendfile needs one), else None."""
    try:
        fd = wrapper.filelike.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except Exception:
        pass
    return None


class Response:
    """State of one response: the start_response callable and the writer."""

    __slots__ = ("sink", "status", "code", "headers", "sent", "length", "written", "override",
                 "suppressed")

    def __init__(self, sink, override=False):
        self.sink = sink
        self.status = None
        self.code = 0
        self.headers = None
        self.sent = False
        self.length = None      # declared Content-Length
        self.written = 0
        self.override = override
        self.suppressed = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            if type(exc_info) is not tuple or len(exc_info) != 3:
                raise RuntimeError("start_response() argument 'exc_info' must be a 3-tuple or "
                                   "None")
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response() was already called; a second call needs exc_info")
        if type(status) is not str:
            raise TypeError("status must be str, not %s" % type(status).__name__)
        code = _valid_status.get(status)
        if code is None:
            m = _STATUS.match(status)
            if not m:
                raise ValueError("invalid status %r: want 'NNN Reason' (latin-1, no control "
                                 "characters)" % status)
            code = int(m.group(1))
            if not 200 <= code <= 599:
                # a 1xx is Apache's to send (100 Continue); a final one would leave the body
                # to be read as the next response on a kept-alive connection
                raise ValueError("status %r: an application's status must be 200 to 599"
                                 % status)
            if len(_valid_status) < _VALID_MAX:
                _valid_status[status] = code
        if type(headers) is not list:
            raise TypeError("response headers must be a list, not %s" % type(headers).__name__)
        # Check and keep a copy: the list is the application's, and what it changes afterwards
        # (another Content-Length, a control character) must not reach the wire unchecked.
        # The copy is one step under the GIL; tuples and strs cannot change.
        headers = headers[:]
        length = None
        for item in headers:
            if type(item) is not tuple:
                raise TypeError("response header must be a (name, value) tuple, not %s: %r"
                                % (type(item).__name__, item))
            if len(item) != 2:
                raise ValueError("response header must be a (name, value) tuple, got length "
                                 "%d: %r" % (len(item), item))
            name, value = item
            if type(name) is not str or type(value) is not str:
                raise TypeError("response header name and value must be str: %r" % (item,))
            if name not in _valid_names:
                if not _TOKEN.match(name):
                    raise ValueError("invalid response header name %r" % name)
                if name.lower() in _HOP_BY_HOP:
                    raise ValueError("response header %r is hop-by-hop: the server sets it, an "
                                     "application may not (PEP 3333)" % name)
                if len(_valid_names) < _VALID_MAX:
                    _valid_names.add(name)
            # printable ASCII (the usual value) is valid: str methods, no regular expression
            if not (value.isascii() and value.isprintable()) and _BAD_VALUE.search(value):
                value.encode("latin-1")     # UnicodeEncodeError (a ValueError), as mod_wsgi
                raise ValueError("response header %r: the value %r holds a control character "
                                 "(CR/LF?) or is not latin-1" % (name, value))
            if name.lower() == "content-length":
                # digits only: int() also takes "1_000" or "+5", which Apache would read as 1
                # and 5, and the body sent would not be the length declared
                if not _LENGTH.match(value) or int(value) > _MAX_LENGTH:
                    raise ValueError("invalid Content-Length %r" % value)
                length = int(value)
        self.status = status
        self.code = code
        self.headers = headers
        self.length = length
        return self.write

    def declare_length(self, length):
        """Add a Content-Length the application did not give (to our copy of its list)."""
        self.headers.append(("Content-Length", str(length)))
        self.length = length

    def _send_head(self):
        if self.status is None:
            raise RuntimeError("the application sent body data before calling start_response()")
        if self.override and self.code >= 400:
            self.sent = True
            self.suppressed = True
            return
        # sent only once the sink took the head: a head it refuses (the daemon's is over the
        # frame limit) is still the application's error, answered 500, not a cut response
        self.sink.start(self.code, self.status[4:], self.headers)
        self.sent = True

    def send(self, data, flush):
        if not self.sent:
            self._send_head()
        if self.suppressed:
            return
        if self.length is not None:
            room = self.length - self.written
            if room <= 0:
                return
            if len(data) > room:
                data = data[:room]
        self.written += len(data)
        if not self.sink.write(data, flush):
            raise ClientGone()

    def write(self, data):
        """The write() callable start_response returns."""
        if not isinstance(data, _BYTES):
            raise TypeError("write() takes bytes, not %s" % type(data).__name__)
        if type(data) is memoryview:
            data = data.tobytes()
        self.send(data, True)

    def finish(self):
        if not self.sent:
            self._send_head()
            if self.suppressed:
                return
            if not self.sink.write(b"", False):
                raise ClientGone()
        if self.suppressed:
            return
        if (self.length is not None and self.written < self.length
                and self.code not in (204, 304)
                and not getattr(self.sink, "header_only", False)):
            raise IOError("response truncated: Content-Length is %d but the application sent %d "
                          "bytes" % (self.length, self.written))


def log_exception(sink, what):
    text = "".join(traceback.format_exception(*sys.exc_info()))
    sink.log(APLOG_ERR, what)
    for line in text.rstrip("\n").split("\n"):
        sink.log(APLOG_ERR, line)


def _check_item(data):
    if not isinstance(data, _BYTES):
        raise TypeError("the application's iterable must yield bytes, not %s"
                        % type(data).__name__)
    return data.tobytes() if type(data) is memoryview else data


def _write_sequence(resp, result):
    """A list or tuple: checked whole before anything is sent, Content-Length added if missing."""
    if len(result) == 1:
        # the usual case, without the comprehension and generator frames of the general one
        data = result[0]
        if type(data) is not bytes:
            data = _check_item(data)
        if resp.status is not None and not resp.sent and resp.length is None:
            resp.declare_length(len(data))
        if data:
            resp.send(data, False)
        return
    items = [_check_item(data) for data in result]
    if resp.status is not None and not resp.sent and resp.length is None:
        resp.declare_length(sum(len(data) for data in items))
    for data in items:
        if data:
            resp.send(data, False)


def _write_iterable(resp, result):
    """Any other iterable: each non-empty block is flushed to the client as it is produced."""
    for data in result:
        data = _check_item(data)
        if data:
            resp.send(data, True)
            if resp.length is not None and resp.written >= resp.length:
                break


def run(app, environ, sink, script="", error_override=False):
    resp = Response(sink, error_override)
    result = None
    status = OK
    try:
        result = app(environ, resp.start_response)
        if result is None:
            raise TypeError("the WSGI application returned None; it must return an iterable "
                            "of bytes")
        if (isinstance(result, FileWrapper) and resp.status is not None
                and _send_file(resp, result)):
            pass
        elif type(result) in (list, tuple):
            _write_sequence(resp, result)
        else:
            _write_iterable(resp, result)
        resp.finish()
        if resp.suppressed:
            status = resp.code
    except ClientGone:
        sink.log(6, "mod_wsgi_ext: the client went away while the response to %s was being "
                    "written" % script)
    except BaseException as exc:    # SystemExit must not end the Apache child
        timeout = _is_request_timeout(exc)
        if timeout:     # as mod_wsgi: one line instead of the traceback, and a 504
            sink.log(6, "mod_wsgi_ext (pid=%d): Request interrupted by RequestTimeout; thread "
                        "recovered." % os.getpid())
        else:
            log_exception(sink, _what(script))
        if resp.sent and not resp.suppressed:
            sink.abort()
        else:
            status = HTTP_GATEWAY_TIME_OUT if timeout else HTTP_INTERNAL_SERVER_ERROR
    if _close(result, sink, script) and not resp.sent and status == OK:
        status = HTTP_INTERNAL_SERVER_ERROR
    return status


def _is_request_timeout(exc):
    """mod_wsgi.RequestTimeout (the class of the interpreter's mod_wsgi module, by name: this
    module does not import the compatibility layer)."""
    cls = type(exc)
    return cls.__name__ == "RequestTimeout" and cls.__module__ == "mod_wsgi"


def _what(script):
    # formatted only when there is something to log: it is not free on every request
    return "mod_wsgi_ext (pid=%d): exception in the WSGI application of script '%s'" % (
        os.getpid(), script)


def _close(result, sink, script):
    """Call the iterable's close(); True when it raised (the traceback is logged)."""
    try:
        close = getattr(result, "close", None)
        if close is None:
            return False
        close()
        return False
    except BaseException:   # as in run(): SystemExit from close() must not reach the C handler
        log_exception(sink, _what(script) + " (in close())")
        return True


def _send_file(resp, wrapper):
    """Serve a wrapped regular file with sendfile; False when it is not one (iterate instead)."""
    fd = _fileno(wrapper)
    if fd is None:
        return False
    try:
        offset = wrapper.filelike.tell()
    except Exception:
        return False
    count = max(os.fstat(fd).st_size - offset, 0)
    if resp.length is not None:
        count = min(count, resp.length)
    elif not resp.sent:
        resp.declare_length(count)
    if not resp.sent:
        resp._send_head()
    if resp.suppressed or not count:
        return True
    if not resp.sink.sendfile(fd, offset, count):
        raise ClientGone()
    resp.written += count
    return True

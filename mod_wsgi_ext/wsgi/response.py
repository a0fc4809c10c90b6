"""Running a WSGI application and writing its response to a sink (PEP 3333, strict).

``run(app, environ, sink, ...)`` returns what the Apache handler should return: ``OK`` (0) once a
response was written, or an HTTP status for Apache to answer itself (500 when the application
failed before sending headers; the application's own error status under WSGIErrorOverride).

Rules kept here: ``start_response`` validates status and headers and refuses a second call without
``exc_info``; ``exc_info`` after headers were sent re-raises; headers go out with the first
non-empty body data (or at the end); bodies are bytes; output stops at a declared Content-Length
and a short body is treated as broken; ``close()`` is always called; a failure after headers ends
the response as broken (the client sees a cut response, never a short 200).
"""

import os
import re
import sys
import traceback

OK = 0
HTTP_INTERNAL_SERVER_ERROR = 500
APLOG_ERR = 3

_STATUS = re.compile(r"([1-9][0-9]{2}) ([^\x00-\x1f\x7f]*)\Z")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# Status lines and header names already found valid (applications send the same few on every
# request; the regular expressions cost about 2000 instructions each).  Bounded: both come from
# applications, which may build them from request data.
_valid_status = {}      # status line -> code
_valid_names = {}       # header name -> whether it is Content-Length
_VALID_MAX = 256


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
    try:
        fd = wrapper.filelike.fileno()
        os.fstat(fd)
        return fd
    except Exception:
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
                raise ValueError("invalid status line %r: want 'NNN Reason'" % status)
            code = int(m.group(1))
            if len(_valid_status) < _VALID_MAX:
                _valid_status[status] = code
        if type(headers) is not list:
            raise TypeError("response headers must be a list, not %s" % type(headers).__name__)
        length = None
        for item in headers:
            if type(item) is not tuple or len(item) != 2:
                raise TypeError("response header must be a (name, value) tuple: %r" % (item,))
            name, value = item
            if type(name) is not str or type(value) is not str:
                raise TypeError("response header name and value must be str: %r" % (item,))
            is_length = _valid_names.get(name)
            if is_length is None:
                if not _TOKEN.match(name):
                    raise ValueError("invalid response header name %r" % name)
                is_length = name.lower() == "content-length"
                if len(_valid_names) < _VALID_MAX:
                    _valid_names[name] = is_length
            if _BAD_VALUE.search(value):
                raise ValueError("response header %r holds a control character (CR/LF?)" % name)
            if is_length:
                try:
                    length = int(value)
                    if length < 0:
                        raise ValueError
                except ValueError:
                    raise ValueError("invalid Content-Length %r" % value) from None
        self.status = status
        self.code = code
        self.headers = headers
        self.length = length
        return self.write

    def _send_head(self):
        if self.status is None:
            raise RuntimeError("the application sent body data before calling start_response()")
        self.sent = True
        if self.override and self.code >= 400:
            self.suppressed = True
            return
        self.sink.start(self.code, self.status[4:], self.headers)

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
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("write() takes bytes, not %s" % type(data).__name__)
        self.send(data, True)

    def finish(self):
        if not self.sent:
            self._send_head()
            if self.suppressed:
                return
            self.sink.write(b"", False)
        if self.suppressed:
            return
        if self.length is not None and self.written < self.length and self.code not in (204, 304):
            raise IOError("response truncated: Content-Length is %d but the application sent %d "
                          "bytes" % (self.length, self.written))


def log_exception(sink, what):
    text = "".join(traceback.format_exception(*sys.exc_info()))
    sink.log(APLOG_ERR, what)
    for line in text.rstrip("\n").split("\n"):
        sink.log(APLOG_ERR, line)


def _what(script):
    # formatted only when there is something to log: it is not free on every request
    return "mod_wsgi_ext (pid=%d): exception in the WSGI application of script '%s'" % (
        os.getpid(), script)


def run(app, environ, sink, script="", error_override=False):
    resp = Response(sink, error_override)
    result = None
    status = OK
    try:
        result = app(environ, resp.start_response)
        if isinstance(result, FileWrapper) and resp.status is not None:
            fd = _fileno(result)
            if fd is not None and _send_file(resp, result, fd):
                resp.finish()
                return resp.code if resp.suppressed else OK
        if type(result) in (list, tuple):
            if len(result) == 1 and resp.length is None and resp.status is not None:
                body = result[0]
                if isinstance(body, (bytes, bytearray)):
                    resp.headers.append(("Content-Length", str(len(body))))
                    resp.length = len(body)
            for data in result:
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise TypeError("the application's iterable must yield bytes, not %s"
                                    % type(data).__name__)
                if data:
                    resp.send(data, False)
        else:
            for data in result:
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise TypeError("the application's iterable must yield bytes, not %s"
                                    % type(data).__name__)
                if data:
                    resp.send(data, True)
                    if resp.length is not None and resp.written >= resp.length:
                        break
        resp.finish()
        if resp.suppressed:
            status = resp.code
    except ClientGone:
        sink.log(6, "mod_wsgi_ext: the client went away while the response to %s was being "
                    "written" % script)
    except BaseException:   # SystemExit from an application must not end the Apache child
        log_exception(sink, _what(script))
        if resp.sent and not resp.suppressed:
            sink.abort()
        else:
            status = HTTP_INTERNAL_SERVER_ERROR
    _close_status = _close(result, sink, script)
    if _close_status and not resp.sent and status == OK:
        status = HTTP_INTERNAL_SERVER_ERROR
    return status


def _close(result, sink, script):
    close = getattr(result, "close", None)
    if close is None:
        return False
    try:
        close()
        return False
    except Exception:
        log_exception(sink, _what(script) + " (in close())")
        return True


def _send_file(resp, wrapper, fd):
    try:
        offset = wrapper.filelike.tell()
    except Exception:
        offset = 0
    size = os.fstat(fd).st_size
    count = max(size - offset, 0)
    if resp.length is not None:
        count = min(count, resp.length)
    else:
        resp.headers.append(("Content-Length", str(count)))
        resp.length = count
    if not resp.sent:
        resp._send_head()
    if resp.suppressed:
        return True
    if count:
        if not resp.sink.sendfile(fd, offset, count):
            raise ClientGone()
        resp.written += count
    return True

"""``wsgi.input`` and ``wsgi.errors`` (with its ``.buffer``) over a request sink.

The sink's ``read(n)`` returns at most n bytes (a short read is allowed) and ``b""`` at the end of
the body; ``read(-1)`` returns the rest of the body; chunked bodies arrive de-chunked.
``wsgi.input_terminated`` is always true: reading past the end returns ``b""``, never blocks.
No single call asks the sink for more than ``MAX_READ`` bytes, so ``read(huge)`` on a small body
does not allocate a huge buffer.

Memory: what a call returns is built once (a sink read returned as is, or an ``io.BytesIO``
whose ``getvalue()`` hands over its buffer without a copy); besides it the stream holds at most
one sink read (``MAX_READ``) of data read ahead.  A 100 MB body without newlines therefore costs
about 100 MB whether it is taken with ``read()``, ``readline()`` or ``readlines()``.
"""
import io

APLOG_ERR = 3
CHUNK = 65536
MAX_READ = 1 << 20


class Input:
    """PEP 3333 input stream: read(n), read(), readline(size), readlines(hint), iteration."""

    __slots__ = ("_read", "_buf", "_eof")

    def __init__(self, sink):
        self._read = sink.read
        self._buf = bytearray()     # read ahead from the sink, not yet handed out (bounded)
        self._eof = False

    def _more(self, want):
        """One sink read of at most ``want`` bytes (>= 1); b"" at the end of the body."""
        if self._eof:
            return b""
        data = self._read(min(max(want, 1), MAX_READ))
        if not data:
            self._eof = True
        return data

    def _take(self, n):
        """The first n bytes of the read-ahead buffer (n <= its length), one copy."""
        buf = self._buf
        if n >= len(buf):
            data = bytes(buf)
            buf.clear()
            return data
        with memoryview(buf) as view:
            data = bytes(view[:n])
        del buf[:n]
        return data

    def _start_output(self):
        """An io.BytesIO holding the read-ahead buffer, which is emptied."""
        out = io.BytesIO()
        out.write(self._buf)
        self._buf.clear()
        return out

    def read(self, size=-1):
        if size is None or size < 0:
            if self._buf:
                out = self._start_output()
            else:
                first = self._more(CHUNK)
                more = self._more(CHUNK) if first else b""     # b"" once a small body ended
                if not more:
                    return first            # a small body: no copy at all
                out = io.BytesIO()
                out.write(first)
                out.write(more)
                del first, more
            # bounded sink reads appended to one buffer, which getvalue() hands over: reading
            # the rest with read(-1) would make the sink double its buffer (a copy each time)
            while True:
                data = self._more(MAX_READ)
                if not data:
                    return out.getvalue()
                out.write(data)
        if size <= len(self._buf):
            return self._take(size)
        if not self._buf:
            first = self._more(size)
            if len(first) == size or not first:
                return first
            self._buf += first              # at most MAX_READ
        got = len(self._buf)
        out = self._start_output()
        while got < size:
            data = self._more(size - got)
            if not data:
                break
            out.write(data)
            got += len(data)
        return out.getvalue()

    def readline(self, size=-1):
        if size is None or size < 0:
            size = -1
        buf = self._buf
        end = len(buf) if size < 0 else min(size, len(buf))
        nl = buf.find(b"\n", 0, end)
        if nl >= 0:
            return self._take(nl + 1)
        if size >= 0 and len(buf) >= size:
            return self._take(size)
        if self._eof:
            return self._take(len(buf))
        # the line goes on past what is buffered: build it in one place, chunk by chunk
        got = len(buf)
        out = self._start_output()
        while size < 0 or got < size:
            data = self._more(CHUNK if size < 0 else min(CHUNK, size - got))
            if not data:
                break
            nl = data.find(b"\n")
            if nl >= 0:
                with memoryview(data) as view:
                    out.write(view[:nl + 1])
                    self._buf += view[nl + 1:]
                break
            out.write(data)
            got += len(data)
        return out.getvalue()

    def readlines(self, hint=-1):
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class Errors:
    """``wsgi.errors``: text written here goes to Apache's error log, one log entry per line."""

    __slots__ = ("_log", "_buf")

    def __init__(self, log):
        self._log = log      # callable(level, text)
        self._buf = ""

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("wsgi.errors.write() takes str, not %s" % type(text).__name__)
        self._buf += text
        if "\n" in self._buf:
            *lines, self._buf = self._buf.split("\n")
            for line in lines:
                self._log(APLOG_ERR, line)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self._buf:
            self._log(APLOG_ERR, self._buf)
            self._buf = ""

    def isatty(self):
        return False

    @property
    def closed(self):
        return False

    @property
    def buffer(self):
        """The binary side, as on a text file: bytes written here are logged as UTF-8 text."""
        return ErrorsBuffer(self)


class ErrorsBuffer:
    """``wsgi.errors.buffer``: takes bytes-like objects and hands them to ``wsgi.errors``."""

    __slots__ = ("_errors",)

    def __init__(self, errors):
        self._errors = errors

    def write(self, data):
        data = memoryview(data).tobytes()     # TypeError for anything not bytes-like
        self._errors.write(data.decode("utf-8", "backslashreplace"))
        return len(data)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self._errors.flush()

    def isatty(self):
        return False

"""``wsgi.input`` and ``wsgi.errors`` (with its ``.buffer``) over a request sink.

The sink's ``read(n)`` returns at most n bytes (a short read is allowed) and ``b""`` at the end of
the body; ``read(-1)`` returns the rest of the body; chunked bodies arrive de-chunked.
``wsgi.input_terminated`` is always true: reading past the end returns ``b""``, never blocks.
No single call asks the sink for more than ``MAX_READ`` bytes, so ``read(huge)`` on a small body
does not allocate a huge buffer.
"""

APLOG_ERR = 3
CHUNK = 65536
MAX_READ = 1 << 20


class Input:
    """PEP 3333 input stream: read(n), read(), readline(size), readlines(hint), iteration."""

    __slots__ = ("_read", "_buf", "_eof")

    def __init__(self, sink):
        self._read = sink.read
        self._buf = bytearray()     # data read from the sink and not yet handed out
        self._eof = False

    def _fill(self, want=CHUNK):
        """Append up to ``want`` more bytes to the buffer; False at the end of the body."""
        if self._eof:
            return False
        data = self._read(min(max(want, 1), MAX_READ))
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _take(self, n):
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def read(self, size=-1):
        if size is None or size < 0:
            parts = [bytes(self._buf)]
            self._buf.clear()
            while not self._eof:
                data = self._read(-1)
                if not data:
                    self._eof = True
                    break
                parts.append(data)
            return b"".join(parts)
        while len(self._buf) < size and self._fill(size - len(self._buf)):
            pass
        return self._take(size)

    def readline(self, size=-1):
        if size is None:
            size = -1
        start = 0       # where to go on looking for a newline
        while True:
            nl = self._buf.find(b"\n", start)
            if nl >= 0 and (size < 0 or nl < size):
                return self._take(nl + 1)
            if 0 <= size <= len(self._buf):
                return self._take(size)
            start = len(self._buf)
            if not self._fill(CHUNK):
                return self._take(len(self._buf))

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

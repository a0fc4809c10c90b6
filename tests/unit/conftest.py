"""Unit-test fixtures for the pure-Python WSGI layer: the tree's modules and a fake request sink.

The modules under test (``mod_wsgi_ext/wsgi/*.py``, ``mod_wsgi_ext/runtime/loader.py``) import
only the standard library, so they are loaded straight from this source tree under private names:
the installed ``mod_wsgi_ext`` package (which the functional tests rebuild) is left alone, and
neither Apache nor cffi is needed.  ``FakeSink`` stands in for the C request object
(``mod_wsgi_ext._apache.Request``): it records what a response writer did to it.
"""
import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(relpath):
    name = "_wx_tree_" + relpath.replace("/", "_")[:-3]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, relpath))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def response():
    return _load("mod_wsgi_ext/wsgi/response.py")


@pytest.fixture(scope="session")
def streams():
    return _load("mod_wsgi_ext/wsgi/streams.py")


@pytest.fixture(scope="session")
def proxy():
    return _load("mod_wsgi_ext/wsgi/proxy.py")


@pytest.fixture(scope="session")
def loader():
    return _load("mod_wsgi_ext/runtime/loader.py")


class FakeSink:
    """The request object's interface: start, write(data, flush) -> bool, sendfile, abort, log,
    read, and the attributes aborted and header_only.

    ``body`` is the request body handed out by read(); ``read_size`` caps what one read() returns
    (short reads); ``gone_after`` makes write() fail (client gone) after that many writes.
    """

    def __init__(self, body=b"", read_size=None, gone_after=None, header_only=False):
        self.head = None            # (code, reason, headers) once start() was called
        self.writes = []            # (bytes, flush) per successful write()
        self.files = []             # (fd, offset, count) per sendfile()
        self.file_data = b""
        self.aborts = 0
        self.logs = []              # (level, text)
        self.aborted = False
        self.header_only = header_only
        self.reads = []             # the n of every read(n)
        self._body = body
        self._read_size = read_size
        self._gone_after = gone_after

    # -- response side
    def start(self, code, reason, headers):
        assert self.head is None, "start() called twice"
        assert not self.aborts
        self.head = (code, reason, list(headers))

    def write(self, data, flush=False):
        assert self.head is not None, "body data before the head"
        assert isinstance(data, (bytes, bytearray)), type(data)
        if self._gone_after is not None and len(self.writes) >= self._gone_after:
            self.aborted = True
            return False
        self.writes.append((bytes(data), flush))
        return True

    def sendfile(self, fd, offset, count):
        assert self.head is not None
        self.files.append((fd, offset, count))
        self.file_data += os.pread(fd, count, offset)
        return True

    def abort(self):
        self.aborts += 1

    def log(self, level, text):
        assert isinstance(text, str)
        self.logs.append((level, text))

    # -- request side
    def read(self, n=-1):
        self.reads.append(n)
        if n is None or n < 0:
            n = len(self._body)
        if self._read_size is not None:
            n = min(n, self._read_size)
        data, self._body = self._body[:n], self._body[n:]
        return data

    # -- what a client would have seen
    @property
    def body(self):
        return b"".join(data for data, _ in self.writes) + self.file_data

    @property
    def status(self):
        return self.head[0] if self.head else None

    def header(self, name):
        values = [v for k, v in self.head[2] if k.lower() == name.lower()]
        return values[-1] if values else None

    def log_text(self):
        return "\n".join(text for _, text in self.logs)


@pytest.fixture
def make_sink():
    return FakeSink


@pytest.fixture
def sink():
    return FakeSink()

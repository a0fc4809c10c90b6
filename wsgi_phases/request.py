"""The request object phase handlers get: the protocol, and what every implementation shares.

Two implementations exist: ``mod_wsgi_ext``'s, over Apache's ``request_rec`` and its tables, and
``wsgi_phases.testing.TestRequest``, over a WSGI environ.  Both derive from ``RequestBase`` and
provide the attributes listed in ``ATTRIBUTES`` (spec §4):

* read-only text: ``method uri unparsed_uri query_string protocol hostname scheme client_ip
  useragent_ip remote_host filename path_info auth_name`` (``None`` where Apache has no value)
  and ``is_https`` (bool);
* read-write: ``handler content_type user auth_type`` (``str`` or ``None``);
* tables (``wsgi_phases.tables.Table``): ``headers_in headers_out err_headers_out notes
  subprocess_env``;
* ``options`` (``WSGIPhaseOption`` values, a read-only mapping), ``phase`` (the phase running),
  ``log`` (logger-like, to Apache's error log), ``environ`` (mod_wsgi's cut-down environ, a
  read-only copy), ``basic_auth()``, ``ssl_var(name)``.

One object serves every phase of a request.  Once the request has ended, using it raises
``RequestEnded`` (a ``RuntimeError``).
"""

import base64
import binascii
import sys
import traceback

ATTRIBUTES = ("method", "uri", "unparsed_uri", "query_string", "protocol", "hostname", "scheme",
              "is_https", "client_ip", "useragent_ip", "remote_host", "filename", "path_info",
              "handler", "content_type", "user", "auth_type", "auth_name", "basic_auth",
              "headers_in", "headers_out", "err_headers_out", "notes", "subprocess_env",
              "options", "phase", "log", "ssl_var", "environ")
WRITABLE = ("handler", "content_type", "user", "auth_type")

# Apache's log levels (http_log.h)
LEVELS = {"critical": 2, "error": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}


class PhaseLog:
    """``logging.Logger``-like methods writing to Apache's error log for one request."""
    __slots__ = ("_write",)

    def __init__(self, write):
        self._write = write                   # write(level, text)

    def log(self, level, msg, *args, exc_info=False):
        if isinstance(level, str):
            level = LEVELS[level.lower()]
        elif level >= 10:                     # logging.DEBUG=10 ... logging.CRITICAL=50
            level = {10: 7, 20: 6, 30: 4, 40: 3, 50: 2}.get(level - level % 10, 3)
        text = str(msg) % args if args else str(msg)
        if exc_info:
            info = sys.exc_info() if exc_info is True else exc_info
            if isinstance(info, BaseException):
                info = (type(info), info, info.__traceback__)
            if info and info[0] is not None:
                text += "\n" + "".join(traceback.format_exception(*info)).rstrip("\n")
        for line in text.split("\n"):
            self._write(level, line)

    def debug(self, msg, *args, **kw):
        self.log(7, msg, *args, **kw)

    def info(self, msg, *args, **kw):
        self.log(6, msg, *args, **kw)

    def notice(self, msg, *args, **kw):
        self.log(5, msg, *args, **kw)

    def warning(self, msg, *args, **kw):
        self.log(4, msg, *args, **kw)

    warn = warning

    def error(self, msg, *args, **kw):
        self.log(3, msg, *args, **kw)

    def critical(self, msg, *args, **kw):
        self.log(2, msg, *args, **kw)

    def exception(self, msg, *args, exc_info=True, **kw):
        self.log(3, msg, *args, exc_info=exc_info, **kw)


def parse_basic(header):
    """``(user, password)`` of a ``Basic`` Authorization header value (latin-1, as Apache's
    mod_auth_basic decodes), or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip().encode("ascii"), validate=False)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    user, sep, password = raw.decode("latin-1").partition(":")
    if not sep:
        return None
    return user, password


class RequestBase:
    """What both request implementations share.  Subclasses provide ``headers_in`` and
    ``_log_line(level, text)``, and ``phase`` (None until a phase runs)."""

    def basic_auth(self):
        """``(user, password)`` from a Basic ``Authorization`` header, or None."""
        return parse_basic(self.headers_in.get("Authorization"))

    @property
    def log(self):
        log = self.__dict__.get("_phase_log")
        if log is None:
            log = self.__dict__["_phase_log"] = PhaseLog(self._log_line)
        return log

    def __repr__(self):
        try:
            return "<%s %s %s>" % (type(self).__name__, self.method, self.uri)
        except RuntimeError:
            return "<%s (ended)>" % type(self).__name__

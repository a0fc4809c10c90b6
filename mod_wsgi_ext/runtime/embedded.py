"""Embedded mode: the Python entry points the C handler calls, in every interpreter group.

The C side imports this module in each interpreter (main and sub-interpreters) after putting the
bridge module ``mod_wsgi_ext._apache`` into ``sys.modules``, then calls:

* ``init_interpreter(group, python_path)`` once: WSGIPythonPath, stdout/stderr to the error log,
  the ``mod_wsgi`` compatibility module;
* ``handle(req, environ, script, callable, reloading, error_override, proxy_headers, proxies,
  mtime)`` per request (``mtime``: the script's modification time in µs as Apache found it, or -1);
  returns what the Apache handler returns (0 = OK, or an HTTP status);
* ``preload(script, is_alias)`` for WSGIImportScript and fully-specified WSGIScriptAlias mounts;
* ``shutdown()`` when the process exits normally.
"""

import os
import site
import sys
import threading
import types

from mod_wsgi_ext.runtime import lifecycle, loader
from mod_wsgi_ext.wsgi import proxy, response, streams

HTTP_INTERNAL_SERVER_ERROR = 500
APLOG_ERR = 3

_apache = None
_group = None


class _PartialLine(threading.local):
    """A thread's unfinished line.  The class attribute is the default every thread sees, so that
    reading ``buf`` never misses: a missed attribute of a thread-local formats an AttributeError,
    and ``flush()`` runs twice at the end of every request (about 7,000 instructions)."""

    buf = ""


class _LogStream:
    """sys.stdout / sys.stderr replacement: whole lines to Apache's error log.

    Each thread has its own partial line, so that lines printed by concurrent requests are not
    mixed up; ``flush()`` (also called at the end of every request) logs a partial line."""

    encoding = "utf-8"
    errors = "backslashreplace"

    def __init__(self, level, prefix):
        self._level = level
        self._prefix = prefix
        self._local = _PartialLine()

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        buf = self._local.buf + text
        if "\n" in buf:
            *lines, buf = buf.split("\n")
            for line in lines:
                _apache.log_error(self._level, self._prefix + line)
        self._local.buf = buf
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        buf = self._local.buf
        if buf:
            self._local.buf = ""
            _apache.log_error(self._level, self._prefix + buf)

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("the Apache error log has no file descriptor for Python")


def _compat_module(group):
    """A small ``mod_wsgi`` module so code written for mod_wsgi finds what it looks for."""
    mod = types.ModuleType("mod_wsgi", "mod_wsgi compatibility provided by mod_wsgi_ext")
    mod.process_group = ""
    mod.application_group = group
    mod.maximum_processes = _apache.max_daemons
    mod.threads_per_process = _apache.max_threads if _apache.threaded else 1

    def subscribe_shutdown(callback):
        # mod_wsgi calls shutdown subscribers as callback(event, **details)
        lifecycle.subscribe_shutdown(
            lambda: callback("process_stopping", shutdown_reason="process_exit"))
        return callback

    mod.subscribe_shutdown = subscribe_shutdown
    mod.version = (6, 0, 0)
    mod.mod_wsgi_ext = True
    return mod


def init_interpreter(group, python_path):
    global _apache, _group
    from mod_wsgi_ext import _apache as bridge
    _apache = bridge
    _group = group
    for d in python_path.split("\n"):
        if d:
            site.addsitedir(d)
    sys.stdout = _LogStream(APLOG_ERR, "")
    sys.stderr = _LogStream(APLOG_ERR, "")
    sys.modules.setdefault("mod_wsgi", _compat_module(group))
    if not hasattr(sys, "argv") or not sys.argv:
        sys.argv = ["mod_wsgi"]


def _log_load_error(log, err):
    """Log why a script could not be used: log(level, text) is a request's or the server's."""
    log(APLOG_ERR, "mod_wsgi_ext (pid=%d): %s" % (os.getpid(), err.message))
    for line in err.detail.rstrip("\n").split("\n"):
        if line:
            log(APLOG_ERR, line)


def _flush(stream):
    try:
        stream.flush()
    except Exception:
        pass


def _flush_request_output(errors):
    # only what holds an unfinished line is called: three flush() calls that had nothing to do
    # were three Python frames on every request
    if errors._buf:
        _flush(errors)
    for stream in (sys.stdout, sys.stderr):
        if type(stream) is not _LogStream or stream._local.buf:
            _flush(stream)


def handle(req, environ, script, callable_name, reloading, error_override, proxy_headers,
           proxies, mtime=-1):
    if proxy_headers:
        proxy.apply(environ, proxy_headers, proxies)
    https = environ.pop("HTTPS", None)
    if https is not None:   # as mod_wsgi: HTTPS (SetEnv, a proxy header) becomes wsgi.url_scheme
        environ["wsgi.url_scheme"] = "https" if https.lower() in ("on", "1") else "http"
    try:
        app = loader.load_application(script, callable_name, reloading, _group, mtime)
    except loader.LoadError as err:
        _log_load_error(req.log, err)
        return HTTP_INTERNAL_SERVER_ERROR
    errors = streams.Errors(req.log)
    environ["wsgi.input"] = streams.Input(req)
    environ["wsgi.errors"] = errors
    environ["wsgi.file_wrapper"] = response.FileWrapper
    try:
        return response.run(app, environ, req, script, error_override)
    finally:
        _flush_request_output(errors)


def preload(script, is_alias):
    try:
        loader.load_module(script, True, _group)
    except loader.LoadError as err:
        _log_load_error(_apache.log_error, err)


def shutdown():
    lifecycle.run_shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass

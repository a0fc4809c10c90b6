"""Embedded mode: the Python entry points the C handler calls, in every interpreter group.

The C side imports this module in each interpreter (main and sub-interpreters) after putting the
bridge module ``mod_wsgi_ext._apache`` into ``sys.modules``, then calls:

* ``init_interpreter(group, python_path)`` once: WSGIPythonPath, stdout/stderr to the error log,
  the ``mod_wsgi`` compatibility module;
* ``handle(req, environ, script, callable, reloading, error_override, proxy_headers, proxies,
  mtime)`` per request (``run_request``, which daemon mode calls too, with the group given;
  ``mtime``: the script's modification time in µs as Apache found it, or -1);
  returns what the Apache handler returns (0 = OK, or an HTTP status);
* ``dispatch(req, environ, script, reloading)`` for WSGIDispatchScript, in the dispatch script's
  interpreter, before the request's own interpreter is chosen (``runtime/dispatch.py``);
* ``preload(script, is_alias)`` for WSGIImportScript and fully-specified WSGIScriptAlias mounts;
* ``shutdown()`` when the process exits normally.
"""

import os
import site
import sys
import threading

from mod_wsgi_ext.compat import events, modules
from mod_wsgi_ext.runtime import dispatch as _dispatch, lifecycle, loader
from mod_wsgi_ext.wsgi import proxy, response, streams

HTTP_INTERNAL_SERVER_ERROR = 500
APLOG_ERR = 3

_apache = None
_group = None
_Input = modules.Input
_FileWrapper = modules.FileWrapper


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
    events._log = bridge.log_error
    loader.log = bridge.log_error
    modules.install(bridge, group)
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
    if errors is not None and errors._buf:      # None: dispatch() has no wsgi.errors
        _flush(errors)
    for stream in (sys.stdout, sys.stderr):
        if type(stream) is not _LogStream or stream._local.buf:
            _flush(stream)


def handle(req, environ, script, callable_name, reloading, error_override, proxy_headers,
           proxies, mtime=-1):
    return run_request(req, environ, script, callable_name, reloading, error_override,
                       proxy_headers, proxies, mtime, _group)


def run_request(req, environ, script, callable_name, reloading, error_override, proxy_headers,
                proxies, mtime, group):
    """One request, embedded or daemon mode: ``req`` is the sink (the Apache request object, or
    the daemon's socket-backed one)."""
    if proxy_headers:
        proxy.apply(environ, proxy_headers, proxies)
    https = environ.pop("HTTPS", None)
    if https is not None:   # as mod_wsgi: HTTPS (SetEnv, a proxy header) becomes wsgi.url_scheme
        environ["wsgi.url_scheme"] = "https" if https.lower() in ("on", "1") else "http"
    try:
        app = loader.load_application(script, callable_name, reloading, group, mtime)
    except loader.LoadError as err:
        _log_load_error(req.log, err)
        return HTTP_INTERNAL_SERVER_ERROR
    errors = streams.Errors(req.log)
    environ["wsgi.input"] = _Input(req)
    environ["wsgi.errors"] = errors
    environ["wsgi.file_wrapper"] = _FileWrapper
    try:
        if events.on or events.event_callbacks:
            return events.run(_respond, app, environ, req, environ["mod_wsgi.thread_id"],
                              environ["mod_wsgi.server_pid"],
                              _metered_input, script, error_override)
        return response.run(app, environ, req, script, error_override)
    finally:
        _flush_request_output(errors)


def _metered_input(environ, sink):
    environ["wsgi.input"] = _Input(sink)


def _respond(app, environ, sink, script, error_override):
    return response.run(app, environ, sink, script, error_override)


def dispatch(req, environ, script, reloading):
    """WSGIDispatchScript: (process group, application group, callable) or None (a 500)."""
    try:
        return _dispatch.resolve(req.log, environ, script, reloading, _group)
    finally:
        _flush_request_output(None)


def preload(script, is_alias):
    try:
        loader.load_module(script, True, _group)
    except loader.LoadError as err:
        _log_load_error(_apache.log_error, err)


def shutdown():
    try:
        events.process_stopping("")
    finally:
        lifecycle.run_shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass

"""The ``mod_wsgi`` and ``apache`` modules of one interpreter.

``install(bridge, group)`` puts both into ``sys.modules`` (unless the interpreter already has
modules of those names).  ``mod_wsgi`` is a package: when a mod_wsgi distribution is installed
where this interpreter imports from (``pip install mod_wsgi``), its ``__path__`` is the
distribution's, so ``mod_wsgi.express.runtime`` and the other pure-Python parts import as they do
under mod_wsgi (a ``handler.wsgi`` written by ``mod_wsgi-express setup-server`` needs them).  The
distribution's own ``__init__`` and its compiled module are never run.
"""

import importlib.machinery
import importlib.util
import logging
import sys
import types

from mod_wsgi_ext import __version__ as EXT_VERSION
from mod_wsgi_ext.compat import events, metrics
from mod_wsgi_ext.wsgi import response, streams

# the mod_wsgi release whose behaviour this module matches
MOD_WSGI_VERSION = (6, 1, 1)


class FileWrapper(response.FileWrapper):
    """``wsgi.file_wrapper`` (served with sendfile where the file allows)."""

    __module__ = "mod_wsgi"


class Input(streams.Input):
    """``wsgi.input``."""

    __slots__ = ()
    __module__ = "mod_wsgi"


class RequestTimeout(BaseException):
    """Raised in a request that ran past its daemon process group's ``request-timeout`` (derives
    from BaseException, so ``except Exception`` does not swallow it)."""

    __module__ = "mod_wsgi"


class Restricted:
    """``sys.stdin`` under ``WSGIRestrictStdin On`` (``sys.stdout`` under
    ``WSGIRestrictStdout On``): any use raises OSError naming the stream."""

    __module__ = "mod_wsgi"
    __slots__ = ("_what",)

    def __init__(self, what):
        self._what = what

    def __getattr__(self, name):
        raise OSError("%s access restricted by mod_wsgi_ext (WSGIRestrict%s On)"
                      % (self._what, self._what[4:].capitalize()))

    def __iter__(self):
        return self.__getattr__("__iter__")


def restrict(stdin, stdout):
    """Apply WSGIRestrictStdin / WSGIRestrictStdout to this interpreter."""
    if stdin:
        sys.stdin = Restricted("sys.stdin")
    if stdout:
        sys.stdout = Restricted("sys.stdout")


# Python level -> Apache level (APLOG_CRIT .. APLOG_DEBUG); other levels round down
_LEVELS = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6),
           (logging.DEBUG, 7))


def apache_level(levelno):
    for python_level, apache in _LEVELS:
        if levelno >= python_level:
            return apache
    return 7


class LogHandler(logging.Handler):
    """A ``logging`` handler writing each record to Apache's error log at the matching level."""

    __module__ = "mod_wsgi"

    def emit(self, record):
        try:
            text = self.format(record)
            level = apache_level(record.levelno)
            for line in text.split("\n"):
                _log_error(level, line)
        except Exception:
            self.handleError(record)


def _log_error(level, text):
    from mod_wsgi_ext import _apache
    _apache.log_error(level, text)


class _ModWsgi(types.ModuleType):
    """Reading ``active_requests`` starts tracking requests (until then, nothing is kept)."""

    @property
    def active_requests(self):
        events.start_tracking()
        return events.active_requests

    def __dir__(self):
        return sorted(set(super().__dir__()) | {"active_requests"})


def _distribution_path():
    """``__path__`` of an installed mod_wsgi package, without importing it; else []."""
    try:
        spec = importlib.util.find_spec("mod_wsgi")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return list(spec.submodule_search_locations)


def _server_metrics_off():
    """mod_wsgi.server_metrics() under WSGIServerMetrics Off."""
    return None


def _server_metrics(bridge):
    """WSGIServerMetrics On: Apache's scoreboard (processes and their workers)."""
    if getattr(bridge, "server_metrics", 0) and hasattr(bridge, "scoreboard"):
        return bridge.scoreboard
    return _server_metrics_off


def build_mod_wsgi(bridge, group, process_group=""):
    path = _distribution_path()
    mod = _ModWsgi("mod_wsgi")
    spec = importlib.machinery.ModuleSpec("mod_wsgi", None, is_package=True)
    spec.submodule_search_locations = path
    mod.__spec__ = spec
    mod.__path__ = path
    mod.__package__ = "mod_wsgi"
    mod.version = MOD_WSGI_VERSION
    mod.mod_wsgi_ext = True
    mod.mod_wsgi_ext_version = EXT_VERSION
    mod.process_group = process_group
    mod.application_group = group
    mod.maximum_processes = bridge.max_daemons
    mod.threads_per_process = bridge.max_threads if bridge.threaded else 1
    mod.FileWrapper = FileWrapper
    mod.LogHandler = LogHandler
    mod.RequestTimeout = RequestTimeout
    mod.subscribe_events = events.subscribe_events
    mod.subscribe_shutdown = events.subscribe_shutdown
    mod.subscribe_signals = events.subscribe_signals
    mod.event_callbacks = events.event_callbacks
    mod.shutdown_callbacks = events.shutdown_callbacks
    mod.signal_callbacks = events.signal_callbacks
    mod.request_data = events.request_data
    mod.start_recording_metrics = metrics.start_recording_metrics
    mod.request_metrics = metrics.request_metrics
    mod.process_metrics = metrics.process_metrics
    mod.server_metrics = _server_metrics(bridge)
    metrics.configure(mod.threads_per_process)
    return mod


def _apache_version(banner):
    """(2, 4, 62) from 'Apache/2.4.62 (Debian) ...'."""
    try:
        return tuple(int(p) for p in banner.split()[0].split("/")[1].split(".")[:3])
    except (IndexError, ValueError):
        return ()


def build_apache(bridge):
    mod = types.ModuleType("apache")
    mod.version = _apache_version(bridge.server_version)
    mod.description = getattr(bridge, "server_description", bridge.server_version)
    mod.build_date = getattr(bridge, "build_date", "")
    mod.mpm_name = bridge.mpm
    mod.maximum_processes = bridge.max_daemons
    mod.threads_per_process = bridge.max_threads if bridge.threaded else 1
    return mod


def install(bridge, group, process_group=""):
    """Put ``mod_wsgi`` and ``apache`` into this interpreter's ``sys.modules``."""
    if "mod_wsgi" not in sys.modules:
        sys.modules["mod_wsgi"] = build_mod_wsgi(bridge, group, process_group)
    if "apache" not in sys.modules:
        sys.modules["apache"] = build_apache(bridge)
    restrict(getattr(bridge, "restrict_stdin", 0), getattr(bridge, "restrict_stdout", 0))
    return sys.modules["mod_wsgi"]

"""Loading WSGI scripts as modules, and reloading them when they change.

A script is executed as a module named ``_mod_wsgi_ext_<md5 of its path>`` (registered in
``sys.modules`` so that pickling and introspection work) in the interpreter of its application
group, once; its globals persist between requests.  With script reloading on, a changed
modification time makes the next request execute the script again into a fresh module.
"""

import hashlib
import importlib.machinery
import os
import sys
import threading
import types

_modules = {}          # path (or (group, path), see PER_GROUP) -> (module, mtime)
# Daemon mode serves several application groups in one interpreter: there each group gets its own
# module object for a script (the module name and the cache key include the group).  Embedded mode
# has one interpreter per group, so the key is the path alone.
PER_GROUP = False
_lock = threading.RLock()
_EXT_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


class LoadError(Exception):
    """The script could not be used: ``message`` (one line naming the script and the reason) and
    ``detail`` (the traceback, possibly empty) are what to log."""

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.message = message
        self.detail = detail


def module_name(path, group=""):
    key = (group + "\0" + path) if PER_GROUP and group else path
    return "_mod_wsgi_ext_" + hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest()


def loaded_mtime(path, group=""):
    """The mtime (µs) of the loaded copy of the script, or None when it is not loaded."""
    entry = _modules.get((group, path) if PER_GROUP else path)
    return entry[1] if entry is not None else None


def _hint(exc, group):
    """A hint when a C extension refused to load in a sub-interpreter."""
    if group == "" or PER_GROUP or not isinstance(exc, ImportError):
        return ""
    path = getattr(exc, "path", None) or ""
    if "interpreter" in str(exc).lower() or path.endswith(_EXT_SUFFIXES):
        return ("a C extension failed to load in the sub-interpreter '%s'; if it does not support "
                "sub-interpreters, run this application in the main interpreter with "
                "WSGIApplicationGroup %%{GLOBAL}" % group)
    return ""


log = None          # log(level, text) to the server error log; set by runtime/embedded.py
APLOG_INFO = 6
MODE = "embedded mode"      # where scripts run, for the loading line; the daemon sets its own


def _log_loading(path, group, again):
    """mod_wsgi's info line for every (re)load of a script."""
    if log is not None:
        where = ("sub-interpreter '%s'" % group) if group else "main interpreter"
        log(APLOG_INFO, "mod_wsgi_ext (pid=%d): %s WSGI script '%s' into %s in %s."
            % (os.getpid(), "Reloading" if again else "Loading", path, where, MODE))


def load_module(path, reloading=True, group="", mtime=-1):
    """The module of script ``path``.  ``mtime``: its modification time in µs when the caller
    knows it (Apache stats the script of every request; a second stat here cost about 5% of a
    hello-world request), else -1.  Times are kept in integer µs, as APR's, so both agree."""
    key = (group, path) if PER_GROUP else path
    entry = _modules.get(key)
    if entry is not None and not reloading:
        return entry[0]             # loaded, and not to be reloaded: no need to look at the file
    if mtime < 0:
        try:
            mtime = os.stat(path).st_mtime_ns // 1000
        except OSError as e:
            raise LoadError("Target WSGI script '%s' cannot be loaded: %s" % (path, e.strerror))
    if entry is not None and entry[1] == mtime:
        return entry[0]
    with _lock:
        entry = _modules.get(key)
        if entry is not None and (not reloading or entry[1] == mtime):
            return entry[0]
        _log_loading(path, group, entry is not None)
        name = module_name(path, group)
        module = types.ModuleType(name)
        module.__file__ = path
        old = sys.modules.get(name)
        sys.modules[name] = module
        try:
            with open(path, "rb") as f:
                source = f.read()
            exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
        except BaseException as exc:
            if old is not None:
                sys.modules[name] = old
            else:
                sys.modules.pop(name, None)
            import traceback
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            reason = traceback.format_exception_only(type(exc), exc)[-1].strip()
            hint = _hint(exc, group)
            raise LoadError("Failed to exec Python script file '%s': %s%s" % (
                path, reason, ("; " + hint) if hint else ""), detail) from None
        _modules[key] = (module, mtime)
        return module


def load_application(path, callable_name, reloading=True, group="", mtime=-1):
    entry = _modules.get(path)      # load_module's first test, inline: once per request
    if entry is not None and (not reloading or (mtime >= 0 and entry[1] == mtime)):
        module = entry[0]
    else:
        module = load_module(path, reloading, group, mtime)
    app = getattr(module, callable_name, None)
    if app is None:
        raise LoadError("Target WSGI script '%s' does not contain WSGI application '%s'."
                        % (path, callable_name))
    return app

"""What the C phase hooks (``_csrc/phases.c``) call: load the ``WSGIPhaseScript``'s ``Phases``
object and run one phase of it through ``wsgi_phases.dispatch``.

``load(request, script, object_name, reloading, group)`` gives the Phases object (C keeps it and
asks again at most once a second; the hooks then run the handlers in C, with
``wsgi_phases.dispatch.hook_result``/``hook_exception`` for unusual answers), and
``run(request, phase, script, object_name, reloading, group, *extra)`` answers:

* ``access``, ``authenticate``, ``fixup``: Apache's hook value (OK, DECLINED, DONE, a status);
* ``check_password`` / ``get_realm_hash`` (``extra``: user, password or realm): ``(authn status,
  user name or hash or None)``;
* ``require`` (``extra``: the words of the Require line after ``wsgi-phase``) and
  ``groups_for_user`` (``extra``: the group names of the Require line): an authz status.

A script is loaded through ``runtime.loader`` in the handlers' interpreter.  To keep files out of
the per-request path it is checked for changes (with script reloading on) at most once a second.
A script that fails to load, or holds no ``Phases`` object under that name, makes every phase
in its scope fail (500) with the traceback logged once per version of the file.
"""

import os
import threading
import time

from wsgi_phases import dispatch
from wsgi_phases.dispatch import hook_exception, hook_result  # noqa: F401 (called from C)
from wsgi_phases.registry import Phases
from wsgi_phases.results import AUTH_GENERAL_ERROR, AUTHZ_GENERAL_ERROR

from mod_wsgi_ext.runtime import loader
from mod_wsgi_ext.runtime.phase_request import request_class  # noqa: F401 (called from C)

RECHECK_SECONDS = 1.0
APLOG_ERR = 3

_HOOKS = frozenset(("access", "authenticate", "fixup"))
_cache = {}            # (script, object) -> [Phases or None, checked at, mtime, reported mtime]
_lock = threading.Lock()

_FAILED = {"access": 500, "authenticate": 500, "fixup": 500,
           "check_password": (AUTH_GENERAL_ERROR, None),
           "get_realm_hash": (AUTH_GENERAL_ERROR, None),
           "require": AUTHZ_GENERAL_ERROR, "groups_for_user": AUTHZ_GENERAL_ERROR}


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns // 1000
    except OSError:
        return -1


def _load(request, script, object_name, reloading, group, force=False):
    key = (script, object_name)
    entry = _cache.get(key)
    now = time.monotonic()
    if entry is not None and (not reloading or (not force and now - entry[1] < RECHECK_SECONDS)):
        return entry[0]
    with _lock:
        mtime = _mtime(script)
        entry = _cache.get(key)
        if entry is not None and (not reloading or entry[2] == mtime):
            entry[1] = now
            return entry[0]
        reported = entry[3] if entry is not None else None
        phases, error = None, None
        try:
            module = loader.load_module(script, reloading, group, mtime)
        except loader.LoadError as err:
            error = (err.message, err.detail)
        else:
            phases = module.__dict__.get(object_name)
            if not isinstance(phases, Phases):
                error = ("WSGIPhaseScript '%s' has no wsgi_phases.Phases object named '%s' (found "
                         "%s)" % (script, object_name, type(phases).__name__), "")
                phases = None
        if error is not None and reported != mtime:
            request._log(APLOG_ERR, "mod_wsgi_ext (pid=%d): %s" % (os.getpid(), error[0]))
            for line in error[1].rstrip("\n").split("\n"):
                if line:
                    request._log(APLOG_ERR, line)
            reported = mtime
        _cache[key] = [phases, now, mtime, reported]
        return phases


def load(request, script, object_name, reloading, group):
    """The script's Phases object, or None (logged once per version of the file).  The C side
    caches the answer and asks again at most once a second."""
    return _load(request, script, object_name, reloading, group, force=True)


def run(request, phase, script, object_name, reloading, group, *extra):
    cached = request._wx_phases
    if cached is not None and cached[0] == script and cached[1] == object_name:
        phases = cached[2]            # later phases of the same request: no look-up at all
    else:
        phases = _load(request, script, object_name, reloading, group)
        request._wx_phases = (script, object_name, phases)
    if phases is None:
        request._log(APLOG_ERR, "mod_wsgi_ext: the %s phase of '%s' cannot run: the script did "
                     "not load (see the first error logged for it)" % (phase, script))
        return _FAILED[phase]
    if phase in _HOOKS:
        return dispatch.run_hook(phases, phase, request)
    if phase in ("check_password", "get_realm_hash"):
        if not phases.handlers(phase):
            request._log(APLOG_ERR, "mod_wsgi_ext: an Auth%sProvider wsgi is used for %s, but "
                         "neither a WSGIAuthUserScript nor a @phases.%s handler in '%s' applies"
                         % ("Digest" if phase == "get_realm_hash" else "Basic/Form", request.uri,
                            phase, script))
            return _FAILED[phase]
        return getattr(dispatch, phase)(phases, request, *extra)
    if phase == "require":
        words = extra[0]
        return dispatch.check_require(phases, request, words[0], words[1:])
    if phase == "groups_for_user":
        if not phases.handlers(phase):
            request._log(APLOG_ERR, "mod_wsgi_ext: Require wsgi-group is used for %s, but neither "
                         "a WSGIAuthGroupScript nor a @phases.groups_for_user handler in '%s' "
                         "applies" % (request.uri, script))
            return _FAILED[phase]
        return dispatch.check_groups(phases, request, list(extra[0]))
    raise ValueError("unknown phase %r" % (phase,))

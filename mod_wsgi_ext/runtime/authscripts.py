"""mod_wsgi-compatible auth scripts: load them, call them, and give their answers meaning.

The C side (``_csrc/auth.c``) calls the four functions below from Apache's auth phases, in the
script's interpreter, with ``auth`` (a short-lived request handle: ``log(level, text)``,
``ssl_is_https()``, ``ssl_var_lookup(name)``, and ``write``/``writelines``/``flush``, which make it
the environ's ``wsgi.errors``), the cut-down environ it built (wsgi.errors and the mod_ssl look-ups
included; ``mod_wsgi.version`` is added here), the script path, whether script reloading is on,
the interpreter's name and the script's modification time in µs (C reads it when reloading is
on; -1 when off: a loaded script is then not looked at again).  Each returns what C hands to
Apache:

* ``check_password`` / ``get_realm_hash`` -> ``(authn_status, bytes or None)``: the user name a
  granting ``str`` renames the user to, or the realm hash;
* ``groups_for_user`` -> ``(authz_status, None)`` for ``Require wsgi-group NAME...``;
* ``allow_access`` -> ``(1 allow | 0 forbid | -1 no opinion, None)``.

The rules are mod_wsgi 6's, value for value: see docs/auth.md.  Scripts are loaded through
``runtime.loader`` (the same module a WSGIScriptAlias of the same file in the same interpreter
uses, re-executed when the file changes and reloading is on).  Every failure is logged, with the
traceback, in the error log of the request.
"""

import os
import sys
import traceback

from mod_wsgi_ext.runtime import loader

APLOG_ERR = 3

# authn_status and authz_status of Apache's mod_auth.h (auth.c checks these at compile time)
AUTH_DENIED, AUTH_GRANTED, AUTH_USER_FOUND, AUTH_USER_NOT_FOUND, AUTH_GENERAL_ERROR = range(5)
AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_GENERAL_ERROR = 0, 1, 3

# allow_access answers; ERROR (an exception in the script) becomes a 500
ALLOW, FORBID, NO_OPINION, ERROR = 1, 0, -1, 2


def _log_lines(auth, first, detail=""):
    auth.log(APLOG_ERR, first)
    for line in detail.rstrip("\n").split("\n"):
        if line:
            auth.log(APLOG_ERR, line)


def _log_exception(auth, script, own_frames=0):
    """Log the exception being handled; the first ``own_frames`` frames (this module's) are left
    out of the traceback so that it starts in the script."""
    etype, value, tb = sys.exc_info()
    for _ in range(own_frames):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    _log_lines(auth, "mod_wsgi_ext (pid=%d): exception occurred processing WSGI script '%s'."
               % (os.getpid(), script), "".join(traceback.format_exception(etype, value, tb)))


def _version():
    """mod_wsgi.version for the environ: the ``mod_wsgi`` module's (embedded.py's stand-in)."""
    global _VERSION
    _VERSION = getattr(sys.modules.get("mod_wsgi"), "version", (6, 0, 0))
    return _VERSION


_VERSION = None


def _flush(auth):
    try:
        auth.flush()
    except Exception:
        pass


def _function(auth, script, reloading, group, mtime, name, missing):
    """The callable ``name`` of the script, or None (logged)."""
    try:
        module = loader.load_module(script, reloading, group, mtime)
    except loader.LoadError as err:
        _log_lines(auth, "mod_wsgi_ext (pid=%d): %s" % (os.getpid(), err.message), err.detail)
        return None
    func = module.__dict__.get(name)
    if func is None:
        auth.log(APLOG_ERR, "mod_wsgi_ext: %s '%s' does not provide %s." % (missing, script, name))
    return func


def check_password(auth, environ, script, reloading, group, mtime, user, password):
    func = _function(auth, script, reloading, group, mtime, "check_password",
                     "the WSGIAuthUserScript (Basic/Form authentication)")
    if func is None:
        return AUTH_GENERAL_ERROR, None
    environ["mod_wsgi.version"] = _VERSION or _version()
    try:
        result = func(environ, user, password)
    except BaseException:
        _log_exception(auth, script, own_frames=1)
        return AUTH_GENERAL_ERROR, None
    finally:
        _flush(auth)
    if result is None:
        return AUTH_USER_NOT_FOUND, None
    if result is True:
        return AUTH_GRANTED, None
    if result is False:
        return AUTH_DENIED, None
    if isinstance(result, str):
        if not result:
            auth.log(APLOG_ERR, "mod_wsgi_ext: check_password in '%s' returned an empty user "
                     "name." % script)
            return AUTH_GENERAL_ERROR, None
        try:
            return AUTH_GRANTED, result.encode("utf-8")
        except UnicodeError:
            _log_exception(auth, script)
            return AUTH_GENERAL_ERROR, None
    auth.log(APLOG_ERR, "mod_wsgi_ext: check_password in '%s' must return True, False, None or "
             "a user name as str, not %s." % (script, type(result).__name__))
    return AUTH_GENERAL_ERROR, None


def get_realm_hash(auth, environ, script, reloading, group, mtime, user, realm):
    func = _function(auth, script, reloading, group, mtime, "get_realm_hash",
                     "the WSGIAuthUserScript (Digest authentication)")
    if func is None:
        return AUTH_GENERAL_ERROR, None
    environ["mod_wsgi.version"] = _VERSION or _version()
    try:
        result = func(environ, user, realm)
    except BaseException:
        _log_exception(auth, script, own_frames=1)
        return AUTH_GENERAL_ERROR, None
    finally:
        _flush(auth)
    if result is None:
        return AUTH_USER_NOT_FOUND, None
    if isinstance(result, str):
        try:
            result = result.encode("latin-1")
        except UnicodeError:
            _log_exception(auth, script)
            return AUTH_GENERAL_ERROR, None
    elif not isinstance(result, bytes):
        auth.log(APLOG_ERR, "mod_wsgi_ext: get_realm_hash in '%s' must return None or the hash "
                 "as str or bytes, not %s." % (script, type(result).__name__))
        return AUTH_GENERAL_ERROR, None
    if not result:
        auth.log(APLOG_ERR, "mod_wsgi_ext: get_realm_hash in '%s' returned an empty realm hash."
                 % script)
        return AUTH_GENERAL_ERROR, None
    return AUTH_USER_FOUND, result


def _groups(auth, script, result):
    """The user's group names as bytes, None when the answer is unusable, or the exception
    raised while iterating it (both logged)."""
    try:
        iterator = iter(result)
    except TypeError:
        auth.log(APLOG_ERR, "mod_wsgi_ext: groups_for_user in '%s' returned %s, which is not "
                 "iterable; expected an iterable of group names." % (script, type(result).__name__))
        return None
    names = set()
    try:
        # a for loop: the end of a list is not a StopIteration raised and caught (with a
        # traceback made) as next() in a while loop would be, on every request
        for item in iterator:
            if isinstance(item, str):
                try:
                    item = item.encode("latin-1")
                except UnicodeError:
                    auth.log(APLOG_ERR, "mod_wsgi_ext: a group name returned by groups_for_user "
                             "in '%s' cannot be encoded as latin-1." % script)
                    return None
            if not isinstance(item, bytes):
                auth.log(APLOG_ERR, "mod_wsgi_ext: a group name returned by groups_for_user in "
                         "'%s' is %s, not str or bytes." % (script, type(item).__name__))
                return None
            names.add(item.split(b"\0", 1)[0].lower())
    except BaseException as exc:
        _log_exception(auth, script)
        return exc
    return names


def groups_for_user(auth, environ, script, reloading, group, mtime, user, required):
    func = _function(auth, script, reloading, group, mtime, "groups_for_user",
                     "the WSGIAuthGroupScript")
    if func is None:
        return AUTHZ_DENIED, None
    environ["mod_wsgi.version"] = _VERSION or _version()
    try:
        result = func(environ, user)
    except BaseException:
        _log_exception(auth, script, own_frames=1)
        return AUTHZ_GENERAL_ERROR, None      # an exception is a 500 (mod_wsgi: denied)
    finally:
        _flush(auth)
    names = _groups(auth, script, result)
    if isinstance(names, BaseException):
        return AUTHZ_GENERAL_ERROR, None
    if names is None:
        return AUTHZ_DENIED, None
    uri = environ.get("REQUEST_URI", "")
    if not names:
        auth.log(APLOG_ERR, "mod_wsgi_ext: authorization of user '%s' to access '%s' failed: "
                 "the user is not a member of any groups." % (user, uri))
        return AUTHZ_DENIED, None
    for name in required:
        if name.lower() in names:     # ASCII case-insensitive, as Apache's tables compare
            return AUTHZ_GRANTED, None
    auth.log(APLOG_ERR, "mod_wsgi_ext: authorization of user '%s' to access '%s' failed: the "
             "user is not a member of the required groups." % (user, uri))
    return AUTHZ_DENIED, None


def allow_access(auth, environ, script, reloading, group, mtime, host):
    func = _function(auth, script, reloading, group, mtime, "allow_access", "the WSGIAccessScript")
    if func is None:
        return FORBID, None
    environ["mod_wsgi.version"] = _VERSION or _version()
    try:
        result = func(environ, host)
    except BaseException:
        _log_exception(auth, script, own_frames=1)
        return ERROR, None                    # an exception is a 500 (mod_wsgi: forbidden)
    finally:
        _flush(auth)
    if result is None:
        return NO_OPINION, None
    if result is True:
        return ALLOW, None
    if result is False:
        return FORBID, None
    auth.log(APLOG_ERR, "mod_wsgi_ext: allow_access in '%s' must return True, False or None, not "
             "%s." % (script, type(result).__name__))
    return FORBID, None

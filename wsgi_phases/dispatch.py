"""Running the handlers of one phase with Apache's stacking rules, and what their answers mean.

Shared by Apache (``mod_wsgi_ext.runtime.phases`` calls these from the C hooks) and by
``wsgi_phases.testing.PhasedApp``, so that both give a handler's answer the same meaning.

Hooks (``run_hook``) answer Apache's hook value: ``OK``, ``DECLINED``, ``DONE`` or an HTTP
status.  ``access`` and ``fixup`` run every handler while they answer ``OK`` or ``DECLINED``;
``authenticate`` stops at the first one that does not decline.  Providers answer
``mod_auth.h``'s statuses.  Whatever goes wrong in a handler (an exception, an answer of the
wrong type) is logged through ``request.log`` naming the handler, and becomes a 500
(``AUTH_GENERAL_ERROR``/``AUTHZ_GENERAL_ERROR`` for providers); it never reaches the client.

The request implementation applies a ``Deny``: ``request._apply_deny(deny, final)`` puts its
headers in ``err_headers_out`` and its body in place of the error page, and returns what the hook
answers (``final`` is False in the providers, where Apache decides the status).
"""

from .results import (OK, DECLINED, DONE, Deny, describe, handler_name, AUTH_DENIED, AUTH_GRANTED,
                      AUTH_USER_FOUND, AUTH_USER_NOT_FOUND, AUTH_GENERAL_ERROR, AUTHZ_DENIED,
                      AUTHZ_GRANTED, AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR, AUTHZ_DENIED_NO_USER)

HTTP_UNAUTHORIZED = 401
HTTP_INTERNAL_SERVER_ERROR = 500

_FAILED = object()        # a handler raised or answered nonsense (already logged)


def _hook_value(result):
    """The hook value of a handler's answer, or None when it is of the wrong kind."""
    if result is None:
        return DECLINED
    if isinstance(result, bool) or not isinstance(result, int):
        return None
    if result in (OK, DECLINED, DONE) or 300 <= result <= 599:
        return result
    return None


def _call(phase, func, request, args=()):
    """func(request, *args), or a Deny, or _FAILED (logged)."""
    try:
        return func(request, *args)
    except Deny as deny:
        return deny
    except Exception:
        request.log.exception("wsgi_phases: exception in %s handler %s", phase, handler_name(func))
        return _FAILED


def _wrong(request, phase, func, result, expected):
    request.log.error("wsgi_phases: %s handler %s returned %s; expected %s", phase,
                      handler_name(func), describe(result), expected)


def run_hook(phases, phase, request):
    """Run the ``access``, ``authenticate`` or ``fixup`` handlers: Apache's hook value.

    (mod_wsgi_ext runs the same loop in C, calling ``hook_result``/``hook_exception`` below for
    every answer other than a plain OK, DECLINED/None or status.)"""
    handlers = phases.handlers(phase)
    if not handlers:
        return DECLINED
    request.phase = phase
    answer = DECLINED
    for func in handlers:
        try:
            result = func(request)
        except Exception as exc:
            return hook_exception(phase, func, request, exc)
        if result is None or result == DECLINED and type(result) is int:
            continue
        if result == OK and type(result) is int and phase != "authenticate":
            answer = OK
            continue
        if type(result) is int and result != OK and result != HTTP_UNAUTHORIZED \
                and (result == DONE or 300 <= result <= 599):
            return result
        return hook_result(phase, func, request, result)
    return answer


def hook_result(phase, func, request, result):
    """The hook value for a handler's answer that ends the phase or needs a check."""
    value = _hook_value(result)
    if value is None:
        _wrong(request, phase, func, result, "OK, DECLINED, None, DONE, an HTTP status from "
               "300 to 599, or raise Deny(...)")
        return HTTP_INTERNAL_SERVER_ERROR
    if phase == "authenticate":
        if value == OK and not request.user:
            request.log.error("wsgi_phases: authenticate handler %s returned OK without "
                              "setting request.user", handler_name(func))
            return HTTP_INTERNAL_SERVER_ERROR
        if value == HTTP_UNAUTHORIZED:
            request._note_auth_failure()
    return value


def hook_exception(phase, func, request, exc):
    """The hook value when a handler raised ``exc`` (a Deny, or anything else: logged, 500)."""
    if isinstance(exc, Deny):
        return request._apply_deny(exc, True)
    if not isinstance(exc, Exception):
        raise exc
    request.log.log(3, "wsgi_phases: exception in %s handler %s", phase, handler_name(func),
                    exc_info=exc)
    return HTTP_INTERNAL_SERVER_ERROR


def check_password(phases, request, user, password):
    """``(authn_status, user name or None)``: the first handler not answering None decides."""
    request.phase = "check_password"
    for func in phases.handlers("check_password"):
        result = _call("check_password", func, request, (user, password))
        if result is _FAILED:
            return AUTH_GENERAL_ERROR, None
        if isinstance(result, Deny):
            request._apply_deny(result, False)
            return AUTH_DENIED, None
        if result is None:
            continue
        if result is True:
            return AUTH_GRANTED, None
        if result is False:
            return AUTH_DENIED, None
        if isinstance(result, str) and result:
            return AUTH_GRANTED, result
        _wrong(request, "check_password", func, result, "True, False, None or a user name (str)")
        return AUTH_GENERAL_ERROR, None
    return AUTH_USER_NOT_FOUND, None


def get_realm_hash(phases, request, user, realm):
    """``(authn_status, hex hash as str or None)``."""
    request.phase = "get_realm_hash"
    for func in phases.handlers("get_realm_hash"):
        result = _call("get_realm_hash", func, request, (user, realm))
        if result is _FAILED:
            return AUTH_GENERAL_ERROR, None
        if isinstance(result, Deny):
            request._apply_deny(result, False)
            return AUTH_DENIED, None
        if result is None:
            continue
        if isinstance(result, bytes):
            try:
                result = result.decode("ascii")
            except UnicodeDecodeError:
                pass
        if isinstance(result, str) and result:
            return AUTH_USER_FOUND, result
        _wrong(request, "get_realm_hash", func, result, "None or the hex MD5 of user:realm:password")
        return AUTH_GENERAL_ERROR, None
    return AUTH_USER_NOT_FOUND, None


def check_require(phases, request, name, args):
    """``Require wsgi-phase NAME ARGS...``: an authz status."""
    handlers = phases.handlers("require", name)
    if not handlers:
        request.log.error("wsgi_phases: Require wsgi-phase %s: the phase script registers no "
                          "@phases.require(%r) handler", name, name)
        return AUTHZ_GENERAL_ERROR
    request.phase = "require"
    for func in handlers:
        result = _call("require", func, request, tuple(args))
        if result is _FAILED:
            return AUTHZ_GENERAL_ERROR
        if isinstance(result, Deny):
            request._apply_deny(result, False)
            return AUTHZ_DENIED
        if result is None:
            continue
        if result is True:
            return AUTHZ_GRANTED
        if result is False:
            return AUTHZ_DENIED if request.user else AUTHZ_DENIED_NO_USER
        _wrong(request, "require", func, result, "True, False or None")
        return AUTHZ_GENERAL_ERROR
    return AUTHZ_NEUTRAL


def _group_names(request, func, result):
    """The lower-cased group names of an answer, or None (logged)."""
    try:
        items = list(iter(result))
    except TypeError:
        _wrong(request, "groups_for_user", func, result, "an iterable of group names")
        return None
    except Exception:
        request.log.exception("wsgi_phases: exception iterating the groups from %s",
                              handler_name(func))
        return None
    names = set()
    for item in items:
        if isinstance(item, bytes):
            item = item.decode("latin-1")
        if not isinstance(item, str):
            _wrong(request, "groups_for_user", func, item, "group names as str or bytes")
            return None
        names.add(item.lower())
    return names


def check_groups(phases, request, required):
    """``Require wsgi-group NAMES...``: an authz status (the first handler answering something
    other than None gives the user's groups)."""
    user = request.user
    if not user:
        return AUTHZ_DENIED_NO_USER
    request.phase = "groups_for_user"
    for func in phases.handlers("groups_for_user"):
        result = _call("groups_for_user", func, request, (user,))
        if result is _FAILED:
            return AUTHZ_GENERAL_ERROR
        if isinstance(result, Deny):
            request._apply_deny(result, False)
            return AUTHZ_DENIED
        if result is None:
            continue
        names = _group_names(request, func, result)
        if names is None:
            return AUTHZ_GENERAL_ERROR
        if any(name.lower() in names for name in required):
            return AUTHZ_GRANTED
        request.log.error("wsgi_phases: authorization of user '%s' to access '%s' failed: not a "
                          "member of %s", user, request.uri, " or ".join(required))
        return AUTHZ_DENIED
    return AUTHZ_DENIED

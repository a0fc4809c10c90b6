"""Test phase handlers without Apache: ``PhasedApp`` for ``webtest.TestApp``.

``PhasedApp(application, phases, auth_type=None, auth_name=None, require=(), options=None)`` is
a WSGI application that does what Apache does with a ``WSGIPhaseScript`` in front of a WSGI
application: the ``access`` handlers, then (when the ``require`` rules need a user) the
authentication of ``auth_type`` (``Basic`` and ``Digest`` through ``check_password`` /
``get_realm_hash``, as ``AuthBasicProvider wsgi`` / ``AuthDigestProvider wsgi``; any other type
through the ``authenticate`` handlers), the ``require`` rules (``Require`` lines as strings,
nested with ``authz.RequireAll``/``authz.RequireAny``), the ``fixup`` handlers, then the
application, with what the handlers set in its environ (``REMOTE_USER``, ``AUTH_TYPE``,
``subprocess_env``, ``HTTP_*`` from ``headers_in``, ``wsgi_phases.request``).  Errors are
answered as Apache answers them: its error pages, the 401 challenge of the AuthType, ``Deny``
bodies and headers.  The parity of the two is tested: tests/functional/test_phases_parity.py.

Further keyword arguments: ``handlers`` (``{name: wsgi_app}``: what serves a request whose
``request.handler`` a fixup set to ``name``), ``handler`` (the initial ``request.handler``),
``filename``, ``pass_authorization`` (``WSGIPassAuthorization``), ``ssl_vars``.  ``app.log``
collects ``(level, text)`` for every line the handlers and the dispatcher logged.
"""

import hashlib
import os
import types

from . import dispatch, pages
from .authz import evaluate
from .request import RequestBase, parse_basic
from .results import (OK, DECLINED, DONE, RequestEnded, AUTH_GRANTED, AUTH_USER_FOUND,
                      AUTH_GENERAL_ERROR, AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_NEUTRAL,
                      AUTHZ_GENERAL_ERROR, AUTHZ_DENIED_NO_USER)
from .tables import ListTable

__all__ = ["PhasedApp", "TestRequest"]

_ENDED = "wsgi_phases: this request has already ended"


class _Table(ListTable):
    __slots__ = ("_owner",)

    def __init__(self, owner, pairs=()):
        self._owner = owner
        ListTable.__init__(self, pairs)

    for _name in ("_get", "_getall", "_set", "_add", "_unset", "_pairs"):
        def _guarded(self, *args, _f=getattr(ListTable, _name)):
            if self._owner._ended:
                raise RequestEnded(_ENDED)
            return _f(self, *args)
        locals()[_name] = _guarded
    del _name, _guarded


def _field(name, writable=False):
    def get(self):
        if self._ended:
            raise RequestEnded(_ENDED)
        return self._fields[name]

    def set(self, value):
        if self._ended:
            raise RequestEnded(_ENDED)
        if value is not None and not isinstance(value, str):
            raise TypeError("request.%s must be str or None, not %s" % (name, type(value).__name__))
        self._fields[name] = value
    return property(get, set if writable else None)


class TestRequest(RequestBase):
    """The request object of ``PhasedApp``: the same attributes as Apache's, over a WSGI environ
    (see ``wsgi_phases.request``)."""
    __test__ = False     # not a pytest test class
    phase = None

    def __init__(self, environ, *, auth_type=None, auth_name=None, options=None, handler=None,
                 filename=None, ssl_vars=None, log=None):
        self._ended = False
        self._deny = None
        self._deny_final = True
        self._challenge = False
        self._auth_type_set = False
        self._log_sink = log if log is not None else []
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        uri = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        self._fields = {
            "method": environ.get("REQUEST_METHOD", "GET"), "uri": uri,
            "unparsed_uri": uri + ("?" + query if query else ""), "query_string": query,
            "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"), "hostname": host.lower(),
            "scheme": environ.get("wsgi.url_scheme", "http"),
            "client_ip": environ.get("REMOTE_ADDR", "127.0.0.1"),
            "useragent_ip": environ.get("REMOTE_ADDR", "127.0.0.1"),
            "remote_host": environ.get("REMOTE_HOST"), "filename": filename,
            "path_info": environ.get("PATH_INFO", ""), "handler": handler, "content_type": None,
            "user": None, "auth_type": auth_type, "auth_name": auth_name,
        }
        headers = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers.append((key[5:].replace("_", "-").title(), value))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers.append((key.replace("_", "-").title(), value))
        self.headers_in = _Table(self, headers)
        self.headers_out = _Table(self)
        self.err_headers_out = _Table(self)
        self.notes = _Table(self)
        self.subprocess_env = _Table(self)
        self._options = types.MappingProxyType(dict(options or {}))
        env = {k: v for k, v in environ.items() if k not in ("wsgi.input", "HTTP_AUTHORIZATION")}
        self._environ = types.MappingProxyType(env)
        self._ssl = dict(ssl_vars or {})

    for _n in ("method", "uri", "unparsed_uri", "query_string", "protocol", "hostname", "scheme",
               "client_ip", "useragent_ip", "remote_host", "filename", "path_info", "auth_name"):
        locals()[_n] = _field(_n)
    handler = _field("handler", True)
    content_type = _field("content_type", True)
    user = _field("user", True)
    del _n

    @property
    def auth_type(self):
        return _field("auth_type").fget(self)

    @auth_type.setter
    def auth_type(self, value):
        _field("auth_type", True).fset(self, value)
        self._auth_type_set = True

    @property
    def is_https(self):
        return self.scheme == "https"

    def _check(self):
        if self._ended:
            raise RequestEnded(_ENDED)

    @property
    def options(self):
        self._check()
        return self._options

    @property
    def environ(self):
        self._check()
        return self._environ

    def ssl_var(self, name):
        self._check()
        return self._ssl.get(name)

    def _log_line(self, level, text):
        self._check()
        self._log_sink.append((level, text))

    # --- what the dispatcher asks of a request implementation ---
    def _apply_deny(self, deny, final):
        for name, value in deny.headers:
            self.err_headers_out.add(name, value)
        self._deny = deny
        self._deny_final = final
        return deny.status

    def _note_auth_failure(self):
        self._challenge = True


class PhasedApp:
    """A WSGI application: ``phases`` in front of ``application``, in Apache's order."""

    def __init__(self, application, phases, *, auth_type=None, auth_name=None, require=(),
                 options=None, handlers=None, handler=None, filename=None,
                 pass_authorization=False, ssl_vars=None, server_admin="[no address given]"):
        self.application = application
        self.phases = phases
        self.auth_type = auth_type
        self.auth_name = auth_name
        self.require = require
        self.options = dict(options or {})
        self.handlers = dict(handlers or {})
        self.handler = handler
        self.filename = filename
        self.pass_authorization = pass_authorization
        self.ssl_vars = ssl_vars
        self.server_admin = server_admin
        self.log = []

    # ------------------------------------------------------------------ the phases
    def _authorize(self, request, after_authn):
        """mod_authz_core's access_checker_ex (False) and auth_checker (True)."""
        if not self.require:
            return OK

        def ask(kind, args):
            if kind == "all":
                return AUTHZ_GRANTED if args[:1] == ["granted"] else AUTHZ_DENIED
            if kind == "valid-user":
                return AUTHZ_GRANTED if request.user else AUTHZ_DENIED_NO_USER
            if kind == "user":
                if not request.user:
                    return AUTHZ_DENIED_NO_USER
                return AUTHZ_GRANTED if request.user in args else AUTHZ_DENIED
            if kind == "wsgi-phase":
                return dispatch.check_require(self.phases, request, args[0], args[1:])
            if kind == "wsgi-group":
                return dispatch.check_groups(self.phases, request, args)
            if kind == "ip":
                import ipaddress
                ip = ipaddress.ip_address(request.useragent_ip)
                return AUTHZ_GRANTED if any(ip in ipaddress.ip_network(a, strict=False)
                                            for a in args) else AUTHZ_DENIED
            request.log.error("PhasedApp: unknown Require provider %r", kind)
            return AUTHZ_GENERAL_ERROR

        status = evaluate(self.require, ask)
        if status == AUTHZ_GRANTED:
            return OK
        if status == AUTHZ_DENIED_NO_USER:
            if not after_authn:
                return DECLINED
            if request.user:
                request._note_auth_failure()
            return 401
        if status in (AUTHZ_DENIED, AUTHZ_NEUTRAL):
            if not after_authn or not self.auth_type:
                return 403
            request._note_auth_failure()
            return 401
        return 500

    def _authenticate(self, request, environ):
        """check_user_id: mod_auth_basic, mod_auth_digest, or the authenticate handlers."""
        kind = (self.auth_type or "").lower()
        if kind == "basic":
            creds = parse_basic(request.headers_in.get("Authorization"))
            if creds is None:
                request._note_auth_failure()
                return 401
            if not self.phases.handlers("check_password"):
                request.log.error("wsgi_phases: AuthBasicProvider wsgi, but no check_password "
                                  "handler")
                return 500
            status, name = dispatch.check_password(self.phases, request, *creds)
            if status == AUTH_GRANTED:
                request.user = name or creds[0]
                self._set_auth_type(request, "Basic")
                return OK
            if status == AUTH_GENERAL_ERROR:
                return 500
            request._note_auth_failure()
            return 401
        if kind == "digest":
            return self._digest(request)
        if not kind:
            request.log.error("PhasedApp: a Require rule needs a user, but no auth_type is set")
            return 500
        status = dispatch.run_hook(self.phases, "authenticate", request)
        if status == DECLINED:
            request.log.error("AuthType %s configured without corresponding module",
                              self.auth_type)
            return 500
        if status == OK:
            self._set_auth_type(request, self.auth_type)
        return status

    @staticmethod
    def _set_auth_type(request, value):
        if not request._auth_type_set:
            request.auth_type = value

    def _digest(self, request):
        header = request.headers_in.get("Authorization") or ""
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            request._note_auth_failure()
            return 401
        params = {}
        for part in _split_params(rest):
            key, _, value = part.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        user = params.get("username")
        if not user or params.get("realm") != self.auth_name or params.get("uri") is None:
            request._note_auth_failure()
            return 401
        status, ha1 = dispatch.get_realm_hash(self.phases, request, user, self.auth_name)
        if status == AUTH_GENERAL_ERROR:
            return 500
        if status != AUTH_USER_FOUND:
            request._note_auth_failure()
            return 401
        ha2 = _md5("%s:%s" % (request.method, params["uri"]))
        if params.get("qop"):
            expect = _md5(":".join((ha1, params.get("nonce", ""), params.get("nc", ""),
                                    params.get("cnonce", ""), params["qop"], ha2)))
        else:
            expect = _md5("%s:%s:%s" % (ha1, params.get("nonce", ""), ha2))
        if expect != params.get("response"):
            request._note_auth_failure()
            return 401
        request.user = user
        self._set_auth_type(request, "Digest")
        return OK

    def _challenge(self):
        kind = (self.auth_type or "").lower()
        realm = (self.auth_name or "").replace('"', '\\"')
        if kind == "basic":
            return 'Basic realm="%s"' % realm
        if kind == "digest":
            return ('Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"'
                    % (realm, os.urandom(12).hex()))
        if self.auth_name:
            return '%s realm="%s"' % (self.auth_type, realm)
        return self.auth_type

    def _run(self, request, environ):
        """Apache's ap_process_request_internal for these phases: OK, or the status to answer."""
        status = dispatch.run_hook(self.phases, "access", request)
        if status not in (OK, DECLINED):
            return status
        status = self._authorize(request, False)
        if status == DECLINED:
            status = self._authenticate(request, environ)
            if status != OK:
                return status
            if not request.user:
                request.log.error("No authentication done but request not allowed without "
                                  "authentication for %s. Authentication not configured?",
                                  request.uri)
                return 500
            status = self._authorize(request, True)
        if status != OK:
            return status
        status = dispatch.run_hook(self.phases, "fixup", request)
        return OK if status == DECLINED else status

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        request = TestRequest(environ, auth_type=self.auth_type, auth_name=self.auth_name,
                              options=self.options, handler=self.handler,
                              filename=self.filename, ssl_vars=self.ssl_vars, log=self.log)
        try:
            status = self._run(request, environ)
            if status == DONE:      # a handler answered the request itself (Apache only)
                start_response("200 OK", [("Content-Length", "0")])
                return [b""]
            if status != OK:
                return self._error(request, status, start_response)
            return self._serve(request, environ, start_response)
        finally:
            if not getattr(request, "_serving", False):
                request._ended = True

    def _error(self, request, status, start_response):
        deny = request._deny if request._deny and request._deny.status == status else None
        headers = list(request.err_headers_out.allitems())
        if status == 401 and request._challenge and not any(
                k.lower() == "www-authenticate" for k, _ in headers) and self.auth_type:
            headers.append(("WWW-Authenticate", self._challenge()))
        if deny is not None and deny.body is not None:
            # Apache serves a provider's (check_password, require...) body as an error page
            body = deny.body if request._deny_final else deny.body.split(b"\0")[0]
            headers.append(("Content-Type", deny.content_type if request._deny_final
                            else pages.CONTENT_TYPE))
        else:
            location = request.err_headers_out.get("Location") or \
                request.headers_out.get("Location")
            body = pages.error_page(status, location, self.server_admin)
            headers.append(("Content-Type", pages.CONTENT_TYPE))
        headers.append(("Content-Length", str(len(body))))
        start_response("%d %s" % (status, pages.reason(status)), headers)
        return [body]

    def _app_environ(self, request, environ):
        env = {k: v for k, v in environ.items() if not k.startswith("HTTP_")
               and k not in ("CONTENT_TYPE", "CONTENT_LENGTH")}
        for key, value in request.headers_in.allitems():
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[name] = value
            elif name == "AUTHORIZATION" and not self.pass_authorization:
                continue
            elif all(c.isalnum() or c == "-" for c in key):
                env.setdefault("HTTP_" + name, value)
        for key, value in request.subprocess_env.allitems():
            env[key] = value
        if request.user:
            env["REMOTE_USER"] = request.user
        if request._auth_type_set and request.auth_type:
            env["AUTH_TYPE"] = request.auth_type
        env["wsgi_phases.request"] = request
        return env

    def _serve(self, request, environ, start_response):
        app = self.application
        if request.handler != self.handler:
            app = self.handlers.get(request.handler)
            if app is None:
                request.log.error("PhasedApp: no handler named %r (see handlers=)",
                                  request.handler)
                return self._error(request, 500, start_response)
        env = self._app_environ(request, environ)
        before = request.headers_out.allitems()
        after = request.err_headers_out.allitems()

        def phased_start_response(status, headers, exc_info=None):
            return start_response(status, before + list(headers) + after, exc_info)

        request._serving = True
        result = app(env, phased_start_response)
        return _Closing(result, request)


class _Closing:
    """The application's iterable; ends the request object when closed."""

    def __init__(self, result, request):
        self._result = result
        self._request = request

    def __iter__(self):
        return iter(self._result)

    def close(self):
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._request._ended = True


def _md5(text):
    return hashlib.md5(text.encode("latin-1")).hexdigest()


def _split_params(text):
    """Split ``a="x, y", b=z`` at the commas outside quotes."""
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts

"""The Apache-backed request object of wsgi_phases, over the C type ``PhaseRequest``.

``_csrc/phases.c`` defines ``PhaseRequest``: the request_rec's fields as attributes (read-only,
or read-write for ``handler``, ``content_type``, ``user``, ``auth_type``) and a few primitives
(``_tget``/``_tgetall``/``_tset``/``_tpairs`` over the five tables, ``_options``, ``_log``,
``_server``, ``_respond``, ``_custom_response``, ``_note_auth_failure``, ``ssl_var``).
``request_class(base)`` makes, once per interpreter, the class C instantiates: those primitives
plus what ``wsgi_phases.request`` promises (tables as mappings, ``options``, ``log``,
``environ``, ``basic_auth()``) and what ``wsgi_phases.dispatch`` asks (``_apply_deny``).
Everything raises RuntimeError once the request has ended (the C primitives check).
"""

import types

from wsgi_phases.request import RequestBase
from wsgi_phases.results import DONE
from wsgi_phases.tables import Table

HEADERS_IN, HEADERS_OUT, ERR_HEADERS_OUT, NOTES, SUBPROCESS_ENV = range(5)
_TABLES = {"headers_in": HEADERS_IN, "headers_out": HEADERS_OUT,
           "err_headers_out": ERR_HEADERS_OUT, "notes": NOTES, "subprocess_env": SUBPROCESS_ENV}


class ApacheTable(Table):
    """One of the request's apr tables."""
    __slots__ = ("_req", "_which")

    def __init__(self, req, which):
        self._req = req
        self._which = which

    def _get(self, key):
        return self._req._tget(self._which, key)

    def _getall(self, key):
        return self._req._tgetall(self._which, key)

    def _set(self, key, value):
        self._req._tset(self._which, key, value)

    def _add(self, key, value):
        self._req._tset(self._which, key, value, True)

    def _unset(self, key):
        self._req._tset(self._which, key, None)

    def _pairs(self):
        return self._req._tpairs(self._which)


class _TableAttr:
    """The table attribute: made on first use and kept in the instance's __dict__ under the same
    name (a non-data descriptor), so later uses are plain attribute look-ups."""

    def __init__(self, name, which):
        self.name = name
        self.which = which
        self.__doc__ = "Apache's r->%s" % name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        table = obj.__dict__[self.name] = ApacheTable(obj, self.which)
        return table


class _Mixin(RequestBase):

    def _log_line(self, level, text):
        self._log(level, text)

    @property
    def options(self):
        opts = self.__dict__.get("_opts")
        if opts is None:
            opts = self.__dict__["_opts"] = types.MappingProxyType(self._options())
        return opts

    @property
    def environ(self):
        """mod_wsgi's cut-down environ (as for WSGIAuthUserScript): a read-only snapshot."""
        env = {}
        for key, value in self.headers_in.allitems():
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[name] = value
            elif name in ("AUTHORIZATION", "PROXY_AUTHORIZATION"):
                continue
            elif all(c.isalnum() or c == "-" for c in key):
                env.setdefault("HTTP_" + name, value)
        name, port, addr, rport, docroot, admin = self._server()
        env.update({"SERVER_NAME": name, "SERVER_PORT": str(port), "REMOTE_PORT": str(rport),
                    "REMOTE_ADDR": self.useragent_ip, "REQUEST_METHOD": self.method,
                    "QUERY_STRING": self.query_string, "REQUEST_URI": self.unparsed_uri,
                    "SERVER_PROTOCOL": self.protocol, "PATH_INFO": self.path_info or "",
                    "wsgi.url_scheme": self.scheme})
        if addr:
            env["SERVER_ADDR"] = addr
        if docroot:
            env["DOCUMENT_ROOT"] = docroot
        if admin:
            env["SERVER_ADMIN"] = admin
        if self.remote_host:
            env["REMOTE_HOST"] = self.remote_host
        return types.MappingProxyType(env)

    def _apply_deny(self, deny, final):
        for name, value in deny.headers:
            self.err_headers_out.add(name, value)
            if name.lower() == "location":
                self.headers_out[name] = value       # named by Apache's redirect page
        if deny.body is None:
            return deny.status
        if final:
            self._respond(deny.status, deny.content_type, deny.body)
            return DONE
        self._custom_response(deny.status, deny.body.decode("latin-1"))
        return deny.status


def request_class(base):
    """The request class of this interpreter, derived from the C type ``base``."""
    namespace = {name: _TableAttr(name, which) for name, which in _TABLES.items()}
    namespace["__doc__"] = "Apache's request, for phase handlers and the application."
    namespace["__module__"] = __name__
    return type("Request", (_Mixin, base), namespace)

"""The Apache-backed request object of wsgi_phases, over the C types of _csrc/phase_request.c.

``PhaseRequest`` has the request_rec's fields as attributes (read-only, or read-write for
``handler``, ``content_type``, ``user``, ``auth_type``), the five tables (``PhaseTable``: item
access, ``get``, ``getall``, ``add`` and the primitives of ``wsgi_phases.tables.Table`` in C) and
a few primitives (``_options``, ``_log``, ``_server``, ``_respond``, ``_custom_response``,
``_note_auth_failure``, ``ssl_var``).  ``request_class(base, table_base)`` makes, once per
interpreter, the two classes C instantiates: the request with what ``wsgi_phases.request``
promises on top (``options``, ``log``, ``environ``, ``basic_auth()``) and what
``wsgi_phases.dispatch`` asks (``_apply_deny``), and the table with the rest of the mapping
protocol.  Everything raises RuntimeError once the request has ended (the C side checks).
"""

import types

from wsgi_phases.request import RequestBase
from wsgi_phases.results import DONE
from wsgi_phases.tables import Table

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


def request_class(base, table_base):
    """The request and table classes of this interpreter, derived from the C types."""
    table = type("Table", (table_base, Table), {"__slots__": (), "__module__": __name__,
                                                "__doc__": "One of Apache's request tables."})
    request = type("Request", (_Mixin, base), {
        "__module__": __name__, "__doc__": "Apache's request, for phase handlers and the "
                                           "application."})
    return request, table

"""The Apache-backed phase request (runtime/phase_request.py) over a fake of the C type
PhaseRequest: the same protocol as wsgi_phases.testing.TestRequest, Deny handling."""
import pytest

from mod_wsgi_ext.runtime.phase_request import request_class
from wsgi_phases import Deny, DONE, Phases, dispatch
from wsgi_phases.tables import ListTable


class FakeBase:
    """What _csrc/phase_request.c's PhaseRequest offers (tables as in-memory ListTables)."""

    def __init__(self):
        for name in ("headers_in", "headers_out", "err_headers_out", "notes", "subprocess_env"):
            setattr(self, name, ListTable())
        self.calls = []
        self.user = None
        self.uri = "/x"
        self.method = "GET"

    def _options(self):
        return {"a": "1"}

    def _log(self, level, text):
        self.calls.append(("log", level, text))

    def _respond(self, status, content_type, body):
        self.calls.append(("respond", status, content_type, body))

    def _custom_response(self, status, text):
        self.calls.append(("custom", status, text))

    def _note_auth_failure(self):
        self.calls.append(("challenge",))


class FakeTableBase:
    __slots__ = ()


Request, TableClass = request_class(FakeBase, FakeTableBase)


def test_classes_are_derived_from_the_c_types():
    assert issubclass(Request, FakeBase) and issubclass(TableClass, FakeTableBase)
    from wsgi_phases.tables import Table
    assert issubclass(TableClass, Table)
    assert Request().options["a"] == "1"


def test_deny_in_a_hook_answers_now_with_done():
    r = Request()
    p = Phases()

    def deny(req):
        raise Deny(401, body='{"e": 1}', content_type="application/json",
                   headers={"WWW-Authenticate": "Bearer"})
    p.authenticate(deny)
    assert dispatch.run_hook(p, "authenticate", r) == DONE
    assert r.err_headers_out.allitems() == [("WWW-Authenticate", "Bearer")]
    assert r.calls[-1] == ("respond", 401, "application/json", b'{"e": 1}')


def test_deny_redirect_names_location_for_apaches_page():
    r = Request()
    assert r._apply_deny(Deny(302, headers={"Location": "/l"}), True) == 302
    assert r.headers_out["Location"] == "/l" and r.err_headers_out["Location"] == "/l"


def test_deny_in_a_provider_becomes_the_custom_error_page():
    r = Request()
    p = Phases()

    def deny(req, *args):
        raise Deny(403, body="go away")
    p.require("x")(deny)
    assert dispatch.check_require(p, r, "x", []) == 0            # AUTHZ_DENIED
    assert r.calls[-1] == ("custom", 403, "go away")


def test_log_lines_go_to_apache():
    r = Request()
    r.log.warning("a %s\nb", "x")
    assert r.calls == [("log", 4, "a x"), ("log", 4, "b")]


def test_environ_is_read_only_and_drops_authorization():
    class Base(FakeBase):
        useragent_ip = "1.2.3.4"
        query_string = ""
        unparsed_uri = "/x"
        protocol = "HTTP/1.1"
        path_info = ""
        scheme = "http"
        remote_host = None

        def _server(self):
            return ("h", 80, "127.0.0.1", 5555, "/srv", None)
    r = request_class(Base, FakeTableBase)[0]()
    r.headers_in["Authorization"] = "Basic x"
    r.headers_in["X-Y"] = "z"
    env = r.environ
    assert env["HTTP_X_Y"] == "z" and "HTTP_AUTHORIZATION" not in env
    assert env["SERVER_PORT"] == "80" and env["REMOTE_ADDR"] == "1.2.3.4"
    with pytest.raises(TypeError):
        env["x"] = 1

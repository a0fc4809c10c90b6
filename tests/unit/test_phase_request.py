"""The Apache-backed phase request (runtime/phase_request.py) over a fake of the C type
PhaseRequest: the same protocol as wsgi_phases.testing.TestRequest, Deny handling."""
import pytest

from mod_wsgi_ext.runtime.phase_request import request_class
from wsgi_phases import Deny, DONE, Phases, dispatch


class FakeBase:
    """What _csrc/phases.c's PhaseRequest offers, over Python lists."""

    def __init__(self):
        self.tables = [[] for _ in range(5)]
        self.calls = []
        self.user = None
        self.uri = "/x"
        self.method = "GET"

    def _tget(self, which, key):
        for k, v in self.tables[which]:
            if k.lower() == key.lower():
                return v
        return None

    def _tgetall(self, which, key):
        return [v for k, v in self.tables[which] if k.lower() == key.lower()]

    def _tset(self, which, key, value, add=False):
        if value is None or not add:
            self.tables[which] = [(k, v) for k, v in self.tables[which]
                                  if k.lower() != key.lower()]
        if value is not None:
            self.tables[which].append((key, value))

    def _tpairs(self, which):
        return list(self.tables[which])

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


Request = request_class(FakeBase)


def test_tables_are_the_five_apache_tables():
    r = Request()
    r.headers_in["X-A"] = "1"
    r.headers_in.add("x-a", "2")
    r.notes["n"] = "v"
    r.subprocess_env["E"] = "e"
    r.err_headers_out["H"] = "h"
    r.headers_out["O"] = "o"
    assert r.tables == [[("X-A", "1"), ("x-a", "2")], [("O", "o")], [("H", "h")], [("n", "v")],
                        [("E", "e")]]
    assert r.headers_in.getall("X-a") == ["1", "2"] and r.headers_in is r.headers_in
    del r.headers_in["x-A"]
    assert "X-A" not in r.headers_in
    assert dict(r.options) == {"a": "1"}


def test_deny_in_a_hook_answers_now_with_done():
    r = Request()
    p = Phases()

    def deny(req):
        raise Deny(401, body='{"e": 1}', content_type="application/json",
                   headers={"WWW-Authenticate": "Bearer"})
    p.authenticate(deny)
    assert dispatch.run_hook(p, "authenticate", r) == DONE
    assert r.tables[2] == [("WWW-Authenticate", "Bearer")]
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
    r = request_class(Base)()
    r.headers_in["Authorization"] = "Basic x"
    r.headers_in["X-Y"] = "z"
    env = r.environ
    assert env["HTTP_X_Y"] == "z" and "HTTP_AUTHORIZATION" not in env
    assert env["SERVER_PORT"] == "80" and env["REMOTE_ADDR"] == "1.2.3.4"
    with pytest.raises(TypeError):
        env["x"] = 1

"""wsgi_phases without Apache: registration order, stacking rules, results, Deny, tables."""
import subprocess
import sys

import pytest

from wsgi_phases import Phases, OK, DECLINED, DONE, Deny, FIRST, LAST, RequestEnded
from wsgi_phases import dispatch
from wsgi_phases.results import (AUTH_DENIED, AUTH_GRANTED, AUTH_USER_NOT_FOUND,
                                 AUTH_GENERAL_ERROR, AUTH_USER_FOUND, AUTHZ_DENIED, AUTHZ_GRANTED,
                                 AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR, AUTHZ_DENIED_NO_USER)
from wsgi_phases.tables import ListTable
from wsgi_phases.testing import TestRequest


def req(**kw):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "SCRIPT_NAME": "", "HTTP_HOST": "a.b:80",
               "REMOTE_ADDR": "10.0.0.1", "wsgi.url_scheme": "http"}
    environ.update(kw.pop("environ", {}))
    return TestRequest(environ, **kw)


def test_importable_without_mod_wsgi_ext_or_cffi():
    code = ("import sys; sys.modules['cffi'] = None; sys.modules['mod_wsgi_ext'] = None; "
            "import wsgi_phases, wsgi_phases.testing, wsgi_phases.dispatch; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_registration_order_and_reordering():
    p, seen = Phases(), []
    for name, order in (("a", None), ("b", LAST), ("c", None), ("d", FIRST)):
        def h(r, name=name):
            seen.append(name)
        p.access(h) if order is None else p.access(order=order)(h)
    assert dispatch.run_hook(p, "access", req()) == DECLINED
    assert seen == ["d", "a", "c", "b"]


def test_access_runs_all_while_ok_or_declined_and_stops_at_status():
    p, seen = Phases(), []
    p.access(lambda r: seen.append(1) or OK)
    p.access(lambda r: seen.append(2))
    p.access(lambda r: seen.append(3) or 403)
    p.access(lambda r: seen.append(4) or OK)
    assert dispatch.run_hook(p, "access", req()) == 403
    assert seen == [1, 2, 3]


def test_fixup_all_ok_is_ok_and_done_stops():
    p = Phases()
    p.fixup(lambda r: OK)
    assert dispatch.run_hook(p, "fixup", req()) == OK
    p.fixup(lambda r: DONE)
    p.fixup(lambda r: pytest.fail("ran after DONE"))
    assert dispatch.run_hook(p, "fixup", req()) == DONE


def test_authenticate_first_non_declined_wins():
    p, seen = Phases(), []

    @p.authenticate
    def first(r):
        seen.append("first")
        return DECLINED

    @p.authenticate
    def second(r):
        seen.append("second")
        r.user = "alice"
        return OK

    @p.authenticate
    def third(r):
        seen.append("third")
        return 403

    r = req()
    assert dispatch.run_hook(p, "authenticate", r) == OK
    assert seen == ["first", "second"] and r.user == "alice"


def test_authenticate_ok_without_user_is_500_with_log():
    p, log = Phases(), []
    p.authenticate(lambda r: OK)
    assert dispatch.run_hook(p, "authenticate", req(log=log)) == 500
    assert any("without setting request.user" in t for _, t in log)


@pytest.mark.parametrize("bad", [True, "OK", 200, 42, 1.0, [], 600])
def test_wrong_result_type_is_500_naming_handler(bad):
    p, log = Phases(), []

    def sloppy(r):
        return bad
    p.access(sloppy)
    assert dispatch.run_hook(p, "access", req(log=log)) == 500
    line = [t for _, t in log if "sloppy" in t]
    assert line and repr(bad) in line[0] and type(bad).__name__ in line[0]


def test_exception_is_500_with_traceback_logged():
    p, log = Phases(), []

    def broken(r):
        raise KeyError("boom")
    p.fixup(broken)
    assert dispatch.run_hook(p, "fixup", req(log=log)) == 500
    text = "\n".join(t for _, t in log)
    assert "broken" in text and "Traceback" in text and "KeyError: 'boom'" in text


def test_deny_headers_go_to_err_headers_out():
    p = Phases()

    def deny(r):
        raise Deny(302, headers={"Location": "/login"})
    p.access(deny)
    r = req()
    assert dispatch.run_hook(p, "access", r) == 302
    assert r.err_headers_out["location"] == "/login"


def test_deny_validates():
    with pytest.raises(ValueError):
        Deny(200)
    with pytest.raises(ValueError):
        Deny(401, headers={"X": "a\r\nInjected: 1"})
    d = Deny(401, body="café")
    assert d.body == "café".encode() and d.content_type == "text/plain; charset=utf-8"
    assert Deny(401, body=b"x", content_type="application/json").content_type == "application/json"


def test_check_password_results():
    p = Phases()
    answers = {"none": None, "yes": True, "no": False, "rename": "Bob", "bad": 3}
    p.check_password(lambda r, u, pw: answers[u])
    r = req()
    assert dispatch.check_password(p, r, "none", "x") == (AUTH_USER_NOT_FOUND, None)
    assert dispatch.check_password(p, r, "yes", "x") == (AUTH_GRANTED, None)
    assert dispatch.check_password(p, r, "no", "x") == (AUTH_DENIED, None)
    assert dispatch.check_password(p, r, "rename", "x") == (AUTH_GRANTED, "Bob")
    assert dispatch.check_password(p, r, "bad", "x") == (AUTH_GENERAL_ERROR, None)


def test_get_realm_hash():
    p = Phases()
    p.get_realm_hash(lambda r, u, realm: None if u == "x" else "abc")
    assert dispatch.get_realm_hash(p, req(), "x", "r") == (AUTH_USER_NOT_FOUND, None)
    assert dispatch.get_realm_hash(p, req(), "y", "r") == (AUTH_USER_FOUND, "abc")


def test_require_no_user_rule():
    p = Phases()
    p.require("staff")(lambda r, *args: r.user == "alice" if r.user else False)
    r = req()
    assert dispatch.check_require(p, r, "staff", []) == AUTHZ_DENIED_NO_USER
    r.user = "bob"
    assert dispatch.check_require(p, r, "staff", []) == AUTHZ_DENIED
    r.user = "alice"
    assert dispatch.check_require(p, r, "STAFF", []) == AUTHZ_GRANTED
    assert dispatch.check_require(p, r, "other", []) == AUTHZ_GENERAL_ERROR


def test_require_args_and_neutral():
    p, got = Phases(), []
    p.require("tenant")(lambda r, *args: got.append(args))
    assert dispatch.check_require(p, req(), "tenant", ["a", "b c"]) == AUTHZ_NEUTRAL
    assert got == [("a", "b c")]


def test_groups_for_user():
    p = Phases()
    p.groups_for_user(lambda r, user: [b"Admins", "staff"] if user == "alice" else [])
    r = req()
    assert dispatch.check_groups(p, r, ["admins"]) == AUTHZ_DENIED_NO_USER
    r.user = "alice"
    assert dispatch.check_groups(p, r, ["ADMINS"]) == AUTHZ_GRANTED
    assert dispatch.check_groups(p, r, ["ops"]) == AUTHZ_DENIED
    p2 = Phases()
    p2.groups_for_user(lambda r, user: 7)
    assert dispatch.check_groups(p2, r, ["ops"]) == AUTHZ_GENERAL_ERROR


def test_table_case_insensitive_multi():
    t = ListTable()
    t["X-A"] = "1"
    t.add("x-a", "2")
    t["Other"] = "o"
    assert t["x-A"] == "1" and t.getall("X-a") == ["1", "2"] and len(t) == 2
    assert list(t) == ["X-A", "Other"] and "x-a" in t
    t["X-A"] = "3"
    assert t.getall("x-a") == ["3"]
    del t["OTHER"]
    assert "Other" not in t and t.get("other", "d") == "d"
    with pytest.raises(KeyError):
        del t["missing"]
    with pytest.raises(ValueError):
        t["bad"] = "a\nb"
    with pytest.raises(TypeError):
        t["bad"] = 1
    assert t.getall("none") == []


def test_request_attributes_and_end():
    r = req(environ={"QUERY_STRING": "q=1", "HTTP_AUTHORIZATION": "Basic YWxpY2U6c2VjcmV0"},
            auth_type="Basic", auth_name="R", options={"a": "b"})
    assert (r.method, r.uri, r.unparsed_uri, r.query_string) == ("GET", "/x", "/x?q=1", "q=1")
    assert r.hostname == "a.b" and r.client_ip == "10.0.0.1" and not r.is_https
    assert r.basic_auth() == ("alice", "secret")
    assert r.options["a"] == "b" and r.auth_type == "Basic" and r.auth_name == "R"
    assert "HTTP_AUTHORIZATION" not in r.environ and "wsgi.input" not in r.environ
    with pytest.raises(TypeError):
        r.user = 5
    with pytest.raises(TypeError):
        r.environ["x"] = "y"
    r._ended = True
    for use in (lambda: r.uri, lambda: r.headers_in.get("a"), lambda: setattr(r, "user", "x"),
                lambda: r.log.info("x"), lambda: r.options):
        with pytest.raises(RequestEnded, match="already ended"):
            use()


def test_log_levels_and_exception_lines():
    log = []
    r = req(log=log)
    r.log.debug("d")
    r.log.warning("w %d", 1)
    import logging
    r.log.log(logging.ERROR, "via logging level")
    try:
        raise ValueError("bad")
    except ValueError:
        r.log.exception("caught")
    assert log[0] == (7, "d") and log[1] == (4, "w 1") and log[2] == (3, "via logging level")
    assert log[3] == (3, "caught") and log[-1] == (3, "ValueError: bad")

"""wsgi_phases.testing.PhasedApp through webtest: Apache's outcomes without Apache."""
import base64
import hashlib
import json

import pytest
import webtest

from wsgi_phases import Phases, OK, DECLINED, Deny
from wsgi_phases.authz import RequireAll, RequireAny
from wsgi_phases.testing import PhasedApp


def app(environ, start_response):
    keys = ("REMOTE_USER", "AUTH_TYPE", "TENANT", "HTTP_X_ADDED", "HTTP_AUTHORIZATION")
    body = json.dumps({k: environ.get(k) for k in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode("latin-1")).decode()}


def test_access_403_app_never_runs():
    p, ran = Phases(), []
    p.access(lambda r: 403)
    t = webtest.TestApp(PhasedApp(lambda e, s: ran.append(1), p))
    res = t.get("/", status=403)
    assert b"<h1>Forbidden</h1>" in res.body and res.content_type == "text/html" and not ran


def test_basic_challenge_and_login_latin1():
    p = Phases()
    p.check_password(lambda r, u, pw: u == "jörg" and pw == "pässword")
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Basic", auth_name="Staff",
                                  require=["valid-user"]))
    res = t.get("/", status=401)
    assert res.headers["WWW-Authenticate"] == 'Basic realm="Staff"'
    t.get("/", headers=basic("jörg", "wrong"), status=401)
    res = t.get("/", headers=basic("jörg", "pässword"))
    assert res.json["REMOTE_USER"] == "jörg" and res.json["AUTH_TYPE"] == "Basic"
    assert res.json["HTTP_AUTHORIZATION"] is None


def test_bearer_json_401_and_ok():
    p = Phases()

    @p.authenticate
    def bearer(r):
        auth = r.headers_in.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Deny(401, body='{"error": "token required"}', content_type="application/json",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
        r.user = auth[7:]
        return OK

    t = webtest.TestApp(PhasedApp(app, p, auth_type="Bearer", auth_name="api",
                                  require=["valid-user"]))
    res = t.get("/", status=401)
    assert res.json == {"error": "token required"}
    assert res.headers.getall("WWW-Authenticate") == ['Bearer realm="api"']
    res = t.get("/", headers={"Authorization": "Bearer alice"})
    assert res.json["REMOTE_USER"] == "alice" and res.json["AUTH_TYPE"] == "Bearer"


def test_authenticate_401_status_gets_configured_challenge():
    p = Phases()
    p.authenticate(lambda r: 401)
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Cookie", auth_name="site",
                                  require=["valid-user"]))
    assert t.get("/", status=401).headers["WWW-Authenticate"] == 'Cookie realm="site"'


def test_all_authenticate_decline_is_500():
    p = Phases()
    p.authenticate(lambda r: DECLINED)
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Bearer", require=["valid-user"]))
    assert b"Internal Server Error" in t.get("/", status=500).body


def test_require_all_staff_and_valid_user():
    p = Phases()
    p.check_password(lambda r, u, pw: pw == "pw")
    p.require("staff")(lambda r, *a: r.user in ("alice",) if r.user else False)
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Basic", auth_name="S",
                                  require=RequireAll("wsgi-phase staff", "valid-user")))
    t.get("/", status=401)
    assert t.get("/", headers=basic("alice", "pw")).json["REMOTE_USER"] == "alice"
    res = t.get("/", headers=basic("bob", "pw"), status=401)
    assert res.headers["WWW-Authenticate"] == 'Basic realm="S"'


def test_require_any_with_args():
    p, seen = Phases(), []

    @p.require("net")
    def net(r, *prefixes):
        seen.append(prefixes)
        if r.client_ip.startswith(prefixes):
            return True
        raise Deny(403)          # denied whoever logs in (False would ask for a user)

    rules = RequireAny("wsgi-phase net 192.168. 172.16.", "all denied")
    t = webtest.TestApp(PhasedApp(app, p, require=rules))
    t.get("/", extra_environ={"REMOTE_ADDR": "192.168.1.4"}, status=200)
    t.get("/", extra_environ={"REMOTE_ADDR": "8.8.8.8"}, status=403)
    assert seen[0] == ("192.168.", "172.16.")


def test_require_false_without_user_and_no_authtype_is_500():
    """False before anyone logged in means "ask for a user"; with no AuthType Apache cannot."""
    p = Phases()
    p.require("never")(lambda r: False)
    t = webtest.TestApp(PhasedApp(app, p, require=["wsgi-phase never"]))
    t.get("/", status=500)


def test_groups_for_user():
    p = Phases()
    p.check_password(lambda r, u, pw: True)
    p.groups_for_user(lambda r, u: ["admins"] if u == "root" else ["users"])
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Basic", auth_name="G",
                                  require=["wsgi-group admins"]))
    t.get("/", headers=basic("root", "x"), status=200)
    t.get("/", headers=basic("joe", "x"), status=401)


def test_fixup_reaches_environ_and_headers():
    p = Phases()

    @p.fixup
    def tenant(r):
        r.subprocess_env["TENANT"] = r.hostname.split(".")[0]
        r.headers_in["X-Added"] = "yes"
        r.headers_out["X-Phase"] = "fixup"
        r.notes["tenant"] = "acme"
        assert r.phase == "fixup"

    seen = {}

    def inner(environ, start_response):
        seen["notes"] = environ["wsgi_phases.request"].notes["tenant"]
        return app(environ, start_response)

    t = webtest.TestApp(PhasedApp(inner, p))
    res = t.get("/", extra_environ={"HTTP_HOST": "acme.example.com"})
    assert res.json["TENANT"] == "acme" and res.json["HTTP_X_ADDED"] == "yes"
    assert res.headers["X-Phase"] == "fixup" and seen["notes"] == "acme"


def test_fixup_switches_handler():
    p = Phases()
    p.fixup(lambda r: setattr(r, "handler", "other"))

    def other(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"other"]

    t = webtest.TestApp(PhasedApp(app, p, handlers={"other": other}, handler="wsgi-script"))
    assert t.get("/").body == b"other"


def test_redirect_deny():
    p = Phases()

    def go(r):
        raise Deny(302, headers={"Location": "http://example.com/login"})
    p.fixup(go)
    res = webtest.TestApp(PhasedApp(app, p)).get("/", status=302)
    assert res.headers["Location"] == "http://example.com/login"
    assert b'<a href="http://example.com/login">here</a>' in res.body


def test_digest_roundtrip():
    p = Phases()
    ha1 = hashlib.md5(b"alice:D:secret").hexdigest()
    p.get_realm_hash(lambda r, u, realm: ha1 if u == "alice" else None)
    t = webtest.TestApp(PhasedApp(app, p, auth_type="Digest", auth_name="D",
                                  require=["valid-user"]))
    chal = t.get("/p", status=401).headers["WWW-Authenticate"]
    assert chal.startswith('Digest realm="D", nonce="')
    nonce = chal.split('nonce="')[1].split('"')[0]
    ha2 = hashlib.md5(b"GET:/p").hexdigest()
    resp = hashlib.md5(("%s:%s:00000001:abc:auth:%s" % (ha1, nonce, ha2)).encode()).hexdigest()
    hdr = ('Digest username="alice", realm="D", nonce="%s", uri="/p", qop=auth, nc=00000001, '
           'cnonce="abc", response="%s", algorithm=MD5' % (nonce, resp))
    res = t.get("/p", headers={"Authorization": hdr})
    assert res.json["REMOTE_USER"] == "alice" and res.json["AUTH_TYPE"] == "Digest"


def test_request_ended_after_response():
    p, kept = Phases(), []
    p.access(lambda r: kept.append(r))
    webtest.TestApp(PhasedApp(app, p)).get("/")
    with pytest.raises(RuntimeError, match="ended"):
        kept[0].notes.get("x")


def test_same_request_object_in_every_phase():
    p, seen = Phases(), []
    for phase in ("access", "fixup"):
        getattr(p, phase)(lambda r: seen.append(r))

    def inner(environ, start_response):
        seen.append(environ["wsgi_phases.request"])
        return app(environ, start_response)
    webtest.TestApp(PhasedApp(inner, p)).get("/")
    assert seen[0] is seen[1] is seen[2]

"""The parity table: every row runs through wsgi_phases.testing.PhasedApp (webtest, no Apache)
AND through a real Apache with WSGIPhaseScript, and must give the same status, the same chosen
headers and the same body.  One Phases object (apps/phases/site.py) serves every row: each row's
<Location> sets WSGIPhaseOption row NAME, PhasedApp gets options={"row": NAME}.
"""
import base64
import hashlib
import os
import runpy

import pytest
import requests
import webtest

from functional.server import Apache
from wsgi_phases.authz import RequireAll, RequireAny
from wsgi_phases.testing import PhasedApp

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "phases")
HOST = "acme.example.com"


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode("latin-1")).decode("ascii")
    return {"Authorization": "Basic " + token}


BASIC = dict(auth_type="Basic", auth_name="Staff area")
DIGEST = dict(auth_type="Digest", auth_name="D")
BEARER = dict(auth_type="Bearer", auth_name="api")
TOKEN = dict(auth_type="Token", auth_name="tok")
VALID = ["valid-user"]
CHECK = ("Content-Type", "WWW-Authenticate", "Location", "X-Why", "X-Phase", "X-Phase-Err")

# name, auth (AuthType/AuthName), require, request headers
ROWS = [
    ("access_ok", {}, (), {}),
    ("access_declined", {}, (), {}),
    ("access_403", {}, (), {}),
    ("access_deny_body", {}, (), {}),
    ("access_stack", {}, (), {}),
    ("access_order", {}, (), {}),
    ("access_wrong_type", {}, (), {}),
    ("access_exception", {}, (), {}),
    ("fixup_env", {}, (), {}),
    ("fixup_headers_out", {}, (), {}),
    ("fixup_redirect", {}, (), {}),
    ("fixup_status", {}, (), {}),
    ("fixup_wrong_type", {}, (), {}),
    ("basic_none", BASIC, VALID, {}),
    ("basic_ok", BASIC, VALID, basic("alice", "pw")),
    ("basic_bad_password", BASIC, VALID, basic("alice", "nope")),
    ("basic_unknown_user", BASIC, VALID, basic("mallory", "pw")),
    ("basic_latin1", BASIC, VALID, basic("j\u00f6rg", "p\u00e4ssword")),
    ("basic_rename", BASIC, VALID, basic("alice", "pw")),
    ("bearer_missing", BEARER, VALID, {}),
    ("bearer_ok", BEARER, VALID, {"Authorization": "Bearer carol"}),
    ("bearer_status", BEARER, VALID, {"Authorization": "Bearer x"}),
    ("authn_stack", TOKEN, VALID, {}),
    ("authn_all_decline", TOKEN, VALID, {}),
    ("authn_ok_no_user", TOKEN, VALID, {}),
    ("staff_alice", BASIC, RequireAll("wsgi-phase staff", "valid-user"), basic("alice", "pw")),
    ("staff_bob", BASIC, RequireAll("wsgi-phase staff", "valid-user"), basic("bob", "pw")),
    ("staff_nobody", BASIC, RequireAll("wsgi-phase staff", "valid-user"), {}),
    ("net_args_local", {}, RequireAny("wsgi-phase net 10. 127.", "all denied"), {}),
    ("net_args_denied", {}, RequireAny("wsgi-phase net 10. 192.168.", "all denied"), {}),
    ("neutral_any", {}, RequireAny("wsgi-phase neutral", "all granted"), {}),
    ("neutral_all", {}, RequireAll("wsgi-phase neutral", "all granted"), {}),
    ("group_root", BASIC, ["wsgi-group admins"], basic("root", "pw")),
    ("group_joe", BASIC, ["wsgi-group admins"], basic("joe", "pw")),
    ("digest_none", DIGEST, VALID, {}),
    ("digest_ok", DIGEST, VALID, "digest:alice:pw"),
    ("digest_bad", DIGEST, VALID, "digest:alice:wrong"),
]


def render_require(require, indent="  "):
    if isinstance(require, (RequireAll, RequireAny)):
        tag = type(require).__name__
        inner = "".join(render_require(line, indent + "  ") for line in require.lines)
        return "%s<%s>\n%s%s</%s>\n" % (indent, tag, inner, indent, tag)
    if hasattr(require, "text"):
        return "%sRequire %s\n" % (indent, require.text)
    if isinstance(require, str):
        return "%sRequire %s\n" % (indent, require)
    return "".join(render_require(line, indent) for line in require)


def apache_conf():
    parts = ["WSGIScriptAlias /p {root}/apps/phases/echo.wsgi\n",
             "WSGIPhaseScript {root}/apps/phases/site.py\n"]
    for name, auth, require, _ in ROWS:
        parts.append("<Location /p/%s>\n  WSGIPhaseOption row %s\n" % (name, name))
        if auth:
            parts.append('  AuthType %s\n  AuthName "%s"\n' % (auth["auth_type"],
                                                               auth["auth_name"]))
            if auth["auth_type"] == "Basic":
                parts.append("  AuthBasicProvider wsgi\n")
            if auth["auth_type"] == "Digest":
                parts.append("  AuthDigestProvider wsgi\n")
        parts.append(render_require(require))
        parts.append("</Location>\n")
    return "".join(parts)


@pytest.fixture(scope="module", params=["event", "prefork"])
def srv(request):
    s = Apache(apache_conf(), mpm=request.param,
               modules=("auth_basic", "auth_digest", "authz_user")).start()
    request.addfinalizer(s.cleanup)
    return s


@pytest.fixture(scope="module")
def site():
    return runpy.run_path(os.path.join(APPS, "site.py"))["phases"]


@pytest.fixture(scope="module")
def echo():
    return runpy.run_path(os.path.join(APPS, "echo.wsgi"))["application"]


def digest_header(challenge, user, password, method, uri):
    params = dict(p.strip().split("=", 1) for p in challenge[len("Digest "):].split(", "))
    realm, nonce = params["realm"].strip('"'), params["nonce"].strip('"')
    ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    resp = hashlib.md5(("%s:%s:00000001:0a4f113b:auth:%s" % (ha1, nonce, ha2))
                       .encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5, '
            'response="%s", qop=auth, nc=00000001, cnonce="0a4f113b"'
            % (user, realm, nonce, uri, resp))


def outcome(status, headers, body):
    chosen = {}
    for name in CHECK:
        value = headers.get(name)
        if name == "WWW-Authenticate" and value and value.startswith("Digest "):
            value = value.split(" nonce=")[0]            # the nonce differs by design
        chosen[name] = value
    return status, chosen, body


def via_apache(srv, name, hdrs):
    url, path = srv.url("/p/" + name), "/p/" + name
    headers = {"Host": HOST}
    if isinstance(hdrs, str):
        _, user, password = hdrs.split(":")
        first = requests.get(url, headers=headers, allow_redirects=False)
        headers["Authorization"] = digest_header(first.headers["WWW-Authenticate"], user,
                                                 password, "GET", path)
    else:
        headers.update(hdrs)
    r = requests.get(url, headers=headers, allow_redirects=False)
    return outcome(r.status_code, r.headers, r.content)


def via_phased_app(site, echo, name, auth, require, hdrs):
    app = webtest.TestApp(PhasedApp(echo, site, require=require, options={"row": name}, **auth),
                          extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    path, headers = "/p/" + name, {"Host": HOST}
    if isinstance(hdrs, str):
        _, user, password = hdrs.split(":")
        first = app.get(path, headers=headers, expect_errors=True)
        headers["Authorization"] = digest_header(first.headers["WWW-Authenticate"], user,
                                                 password, "GET", path)
    else:
        headers.update(hdrs)
    r = app.get(path, headers=headers, expect_errors=True)
    return outcome(r.status_int, r.headers, r.body)


def test_table_is_big_enough():
    assert len(ROWS) >= 25


@pytest.mark.parametrize("name,auth,require,hdrs", ROWS, ids=[r[0] for r in ROWS])
def test_parity(srv, site, echo, name, auth, require, hdrs):
    real = via_apache(srv, name, hdrs)
    fake = via_phased_app(site, echo, name, auth, require, hdrs)
    assert fake == real
    assert real[0] in EXPECTED_STATUS[name]


# what each row is about (so that the table cannot agree on nonsense)
EXPECTED_STATUS = {
    "access_ok": {200}, "access_declined": {200}, "access_403": {403},
    "access_deny_body": {403}, "access_stack": {404}, "access_order": {200},
    "access_wrong_type": {500}, "access_exception": {500}, "fixup_env": {200},
    "fixup_headers_out": {200}, "fixup_redirect": {302}, "fixup_status": {404},
    "fixup_wrong_type": {500}, "basic_none": {401}, "basic_ok": {200},
    "basic_bad_password": {401}, "basic_unknown_user": {401}, "basic_latin1": {200},
    "basic_rename": {200}, "bearer_missing": {401}, "bearer_ok": {200}, "bearer_status": {401},
    "authn_stack": {200}, "authn_all_decline": {500}, "authn_ok_no_user": {500},
    "staff_alice": {200}, "staff_bob": {401}, "staff_nobody": {401}, "net_args_local": {200},
    "net_args_denied": {403}, "neutral_any": {200}, "neutral_all": {200}, "group_root": {200},
    "group_joe": {401}, "digest_none": {401}, "digest_ok": {200}, "digest_bad": {401},
}

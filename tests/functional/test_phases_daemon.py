"""Issue 6 with daemon mode (issue 11): phase handlers run in the Apache child, the application in a
daemon process group, and what the handlers decide reaches the daemon's environ: the user and auth
type from `authenticate`, `subprocess_env` entries, changed `headers_in`; a `Deny` or a status from
`access` stops the request before it is forwarded.  Under prefork and event."""
import json
import os

import pytest
import requests

from functional.server import Apache

PHASES = '''
from wsgi_phases import Phases, OK, DECLINED, Deny

phases = Phases()


@phases.access
def only_some(request):
    return 403 if request.uri.endswith("/forbidden") else OK


@phases.authenticate
def bearer(request):
    auth = request.headers_in.get("Authorization", "")
    if not auth.startswith("Bearer "):
        raise Deny(401, headers={"WWW-Authenticate": 'Bearer realm="api"'},
                   body='{"error": "token required"}', content_type="application/json")
    request.user, request.auth_type = auth[7:], "Bearer"
    return OK


@phases.fixup
def tenant(request):
    request.subprocess_env["TENANT"] = request.hostname.split(".")[0]
    request.headers_in["X-Added"] = "by-fixup"
    return OK
'''

APP = '''
import json, os

def application(environ, start_response):
    out = {k: environ.get(k) for k in ("REMOTE_USER", "AUTH_TYPE", "TENANT", "HTTP_X_ADDED",
                                       "mod_wsgi.process_group")}
    out["pid"] = os.getpid()
    out["has_request_object"] = "wsgi_phases.request" in environ
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''

CONF = """
WSGIDaemonProcess site processes=1 threads=4
WSGIScriptAlias /api {root}/pd/app.wsgi process-group=site application-group=%%{GLOBAL}
<Location /api>
  WSGIPhaseScript {root}/pd/phases.py
  AuthType Bearer
  AuthName api
  Require valid-user
</Location>
"""


@pytest.fixture(scope="module", params=["event", "prefork"])
def srv(request):
    s = Apache(CONF, mpm=request.param, processes=1, modules=("authz_user",))
    d = os.path.join(s.root, "pd")
    os.mkdir(d)
    os.chmod(d, 0o755)
    for name, text in (("phases.py", PHASES), ("app.wsgi", APP)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(d, name), 0o644)
    s.start()
    request.addfinalizer(s.cleanup)
    return s


def test_what_the_phases_set_reaches_the_daemon_application(srv):
    r = requests.get(srv.url("/api/x"), headers={"Authorization": "Bearer alice",
                                                 "Host": "acme.example.com"}, timeout=20)
    assert r.status_code == 200, srv.output()[-3000:]
    body = r.json()
    assert body["REMOTE_USER"] == "alice"
    assert body["AUTH_TYPE"] == "Bearer"
    assert body["TENANT"] == "acme"
    assert body["HTTP_X_ADDED"] == "by-fixup"
    assert body["mod_wsgi.process_group"] == "site"
    assert body["pid"] != 0
    # spec 4: the request object lives in the Apache child, so daemon mode has no such key
    assert body["has_request_object"] is False


def test_deny_from_authenticate_never_reaches_the_daemon(srv):
    r = requests.get(srv.url("/api/x"), timeout=20)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert json.loads(r.text) == {"error": "token required"}


def test_access_status_stops_the_request(srv):
    r = requests.get(srv.url("/api/forbidden"), headers={"Authorization": "Bearer bob"},
                     timeout=20)
    assert r.status_code == 403

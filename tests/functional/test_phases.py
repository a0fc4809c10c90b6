"""WSGIPhaseScript in a real Apache: the scenarios of issue 6 that a comparison with PhasedApp
(test_phases_parity.py) does not show, under prefork and event."""
import os
import re
import time

import pytest
import requests

from functional.server import Apache

SCENES = "{root}/apps/phases/scenes.py"
CONF = """
WSGIScriptAlias /three {root}/apps/phases/scene_app.wsgi
WSGIHandlerScript other {root}/apps/phases/other.wsgi
<Location /three>
  WSGIPhaseScript %(scenes)s
  AuthType Token
  AuthName "realm one"
  Require valid-user
</Location>
WSGIScriptAlias /open {root}/apps/phases/scene_app.wsgi
<Location /open>
  WSGIPhaseScript %(scenes)s
  WSGIPhaseOption colour blue
  WSGIPhaseOption shape round
</Location>
<Location /open/inner>
  WSGIPhaseOption colour red
  WSGIPhaseOption shape ""
</Location>
<Location /open/denied>
  WSGIPhaseOption deny yes
</Location>
<Location /open/switch>
  WSGIPhaseOption handler other
</Location>
<Location /open/redirect>
  WSGIPhaseOption redirect http://example.com/elsewhere
</Location>
<Location /open/facts>
  WSGIPhaseOption facts yes
</Location>
<Location /open/tables>
  WSGIPhaseOption tables yes
</Location>
<Location /open/off>
  WSGIPhaseScript None
</Location>
WSGIScriptAlias /same {root}/apps/phases/scene_app.wsgi
<Location /same>
  WSGIApplicationGroup %%{GLOBAL}
  WSGIPhaseScript %(scenes)s
</Location>
WSGIScriptAlias /both {root}/apps/phases/scene_app.wsgi
<Location /both>
  WSGIPhaseScript {root}/apps/phases/site.py
  WSGIAuthUserScript {root}/apps/auth/all.py
  AuthType Basic
  AuthName both
  AuthBasicProvider wsgi
  Require valid-user
</Location>
WSGIScriptAlias /nophases {root}/apps/phases/scene_app.wsgi
WSGIScriptAlias /broken {root}/apps/phases/scene_app.wsgi
<Location /broken>
  WSGIPhaseScript {root}/apps/phases/broken.py
</Location>
Alias /static {root}/static
<Directory {root}/static>
  Require all granted
</Directory>
<Directory {root}/static/secret>
  Require all denied
</Directory>
<Location /static>
  WSGIPhaseScript {root}/apps/phases/static_fixup.py
</Location>
Alias /ht {root}/ht
<Directory {root}/ht>
  AllowOverride AuthConfig
  Require all granted
</Directory>
Alias /plain {root}/plain
<Directory {root}/plain>
  Require all granted
</Directory>
LogFormat "%%U tenant=%%{tenant}n user=%%u" phases
CustomLog {root}/phases.log phases
""" % {"scenes": SCENES}


def make_files(root):
    for d, name, text in (("static", "a.txt", "static file\n"), ("static/secret", "s.txt", "x\n"),
                          ("plain", "p.txt", "plain\n"), ("ht", "h.txt", "behind htaccess\n")):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, d, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(root, d), 0o755)
        os.chmod(os.path.join(root, d, name), 0o644)
    os.makedirs(os.path.join(root, "ht", "local"))
    os.chmod(os.path.join(root, "ht", "local"), 0o755)
    for sub, prefix in (("ht", "10."), ("ht/local", "127.")):
        with open(os.path.join(root, sub, ".htaccess"), "w") as f:
            f.write("WSGIPhaseScript %s/apps/phases/lan.py\nWSGIPhaseOption prefix %s\n"
                    % (root, prefix))
        os.chmod(os.path.join(root, sub, ".htaccess"), 0o644)
    with open(os.path.join(root, "ht", "local", "l.txt"), "w") as f:
        f.write("local\n")
    os.chmod(os.path.join(root, "ht", "local", "l.txt"), 0o644)


@pytest.fixture(scope="module", params=["event", "prefork"])
def srv(request):
    s = Apache(CONF, mpm=request.param, processes=1, modules=("authz_user", "auth_basic"))
    make_files(s.root)
    s.start()
    request.addfinalizer(s.cleanup)
    return s


def get(srv, path, **kw):
    kw.setdefault("allow_redirects", False)
    return requests.get(srv.url(path), **kw)


def test_three_authenticate_handlers_and_all_fixups(srv):
    r = get(srv, "/three", headers={"X-User": "alice", "Host": "acme.example.com"})
    assert r.status_code == 200, srv.log()
    body = r.json()
    assert body["trace"] == ["access:None/Token/realm one", "authn1:None/Token/realm one",
                             "authn2:None/Token/realm one", "fixup1:alice/Token/realm one",
                             "fixup2:alice/Token/realm one"]
    assert body["user"] == "alice" and body["auth_type"] == "Token"
    assert r.headers["X-Fixups"] == "2"
    assert "never" not in srv.log()


def test_application_gets_the_same_request_object(srv):
    """Phases and application in the main interpreter: one object; in different interpreters
    the application gets its own object over the same Apache request."""
    same = get(srv, "/same").json()
    assert same["same_object"] is True and len(same["trace"]) == 3
    other = get(srv, "/open").json()
    assert other["same_object"] is False and len(other["trace"]) == 3


def test_request_object_without_any_phase_script(srv):
    body = get(srv, "/nophases/x?q=1").json()
    assert body["uri"] == "/nophases/x" and body["trace"] == [] and body["options"] == {}


def test_user_and_notes_reach_the_access_log(srv):
    get(srv, "/three", headers={"X-User": "bob", "Host": "tenant7.example.com"})
    deadline = time.time() + 5
    text = ""
    while time.time() < deadline and "tenant7" not in text:
        with open(os.path.join(srv.root, "phases.log")) as f:
            text = f.read()
        time.sleep(0.05)
    assert "/three tenant=tenant7 user=bob" in text


def test_access_403_app_never_runs(srv):
    r = get(srv, "/open/denied")
    assert r.status_code == 403 and b"<h1>Forbidden</h1>" in r.content


def test_options_inner_sections_override_and_empty_removes(srv):
    assert get(srv, "/open").json()["options"] == {"colour": "blue", "shape": "round"}
    assert get(srv, "/open/inner").json()["options"] == {"colour": "red"}


def test_request_attributes_in_apache(srv):
    r = get(srv, "/open/facts?a=1", auth=("al", "pw"),
            headers={"X-Fact": "one"})
    facts = r.json()["facts"]
    assert facts == repr(("GET", False, "one", ("al", "pw"), None, False, "http", "GET", "a=1",
                          "HTTP/1.1", ["one"], "fixup", "/open/facts?a=1", True, True))
    assert "facts for /open/facts" in srv.log()


def test_tables_over_apache(srv):
    body = get(srv, "/open/tables").json()
    assert body["tables"] == repr(["1", ["1", "2"], True, False, False, "dflt", "cr\u00e8me", 1,
                                   True, "ValueError", "TypeError", "ValueError", "KeyError",
                                   "KeyError", [], ("X-Replaced", "new")])
    assert body["replaced"] == "new"


def test_fixup_switches_the_content_handler(srv):
    r = get(srv, "/open/switch")
    assert r.status_code == 200 and r.text == "served by the other handler"


def test_fixup_redirects_with_deny(srv):
    r = get(srv, "/open/redirect")
    assert r.status_code == 302 and r.headers["Location"] == "http://example.com/elsewhere"


def test_phase_script_none_switches_off(srv):
    body = get(srv, "/open/off").json()
    assert body["trace"] == [] and body["options"] == {"colour": "blue", "shape": "round"}


def test_request_object_after_its_request_ended(srv):
    # prefork with one child and one process: the second request sees the first's object
    get(srv, "/open")
    body = get(srv, "/open").json()
    if "old" not in body:
        pytest.fail("the second request went to another process: %r" % body)
    assert body["old"] == ["mod_wsgi_ext: this request has already ended"] * 3
    assert "thread that runs its request" in body["other_thread"]


def test_location_fixup_keeps_static_files_and_directory_rules(srv):
    r = get(srv, "/static/a.txt")
    assert r.status_code == 200 and r.text == "static file\n" and r.headers["X-Fixup"] == "yes"
    assert get(srv, "/static/secret/s.txt").status_code == 403
    r = get(srv, "/plain/p.txt")
    assert r.status_code == 200 and "X-Fixup" not in r.headers


def test_auth_user_script_wins_over_phase_check_password(srv):
    # all.py accepts every user with "secret"; site.py's check_password wants "pw"
    r = get(srv, "/both", auth=("alice", "secret"))
    assert r.status_code == 200 and r.json()["user"] == "alice"
    assert get(srv, "/both", auth=("alice", "pw")).status_code == 401


def test_phases_in_htaccess(srv):
    r = get(srv, "/ht/h.txt")                       # the client is 127.0.0.1, not 10.*
    assert r.status_code == 403
    r = get(srv, "/ht/local/l.txt")                 # the inner .htaccess allows 127.*
    assert r.status_code == 200 and r.text == "local\n"


def test_broken_script_is_500_with_traceback_logged_once(srv):
    for _ in range(3):
        assert get(srv, "/broken").status_code == 500
    lines = [l for l in srv.log().splitlines() if "broken" in l]
    tracebacks = [re.search(r"pid (\d+)", l).group(1) for l in lines
                  if "] RuntimeError: this phase script is broken on purpose" in l]
    # the traceback once per process that tried to load it, a short line for every request
    assert tracebacks and len(tracebacks) == len(set(tracebacks)), lines
    assert sum("cannot run: the script did not load" in l for l in lines) == 3


def test_changed_phase_script_is_reloaded(apache):
    srv = apache("Alias /plain {root}/plain\n<Directory {root}/plain>\n  Require all granted\n"
                 "  WSGIPhaseScript {root}/gate.py\n</Directory>\n", start=False)
    os.makedirs(os.path.join(srv.root, "plain"))
    os.chmod(os.path.join(srv.root, "plain"), 0o755)
    for name, text in (("plain/p.txt", "plain\n"),
                       ("gate.py", "import wsgi_phases\nphases = wsgi_phases.Phases()\n"
                                   "phases.access(lambda r: 403)\n")):
        with open(os.path.join(srv.root, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(srv.root, name), 0o644)
    srv.start()
    assert requests.get(srv.url("/plain/p.txt")).status_code == 403
    with open(os.path.join(srv.root, "gate.py"), "w") as f:
        f.write("import wsgi_phases\nphases = wsgi_phases.Phases()\n"
                "phases.access(lambda r: 410)\n")
    os.utime(os.path.join(srv.root, "gate.py"), (time.time() + 5, time.time() + 5))
    deadline, status = time.time() + 10, 403
    while status == 403 and time.time() < deadline:     # checked at most once a second
        time.sleep(0.3)
        status = requests.get(srv.url("/plain/p.txt")).status_code
    assert status == 410


def test_configuration_errors(apache):
    srv = apache("<Location /x>\n  WSGIPhaseScript /tmp/p.py process-group=g\n</Location>\n",
                 start=False)
    rc, out = srv.configtest()
    assert rc != 0 and "later step" in out and re.search(r"line \d+ of .*httpd.conf", out)
    srv = apache("<Location /x>\n  WSGIPhaseOption a b c\n</Location>\n", start=False)
    rc, out = srv.configtest()
    assert rc != 0 and "WSGIPhaseOption takes a name and a value" in out
    srv = apache("<Location /x>\n  WSGIPhaseScript /tmp/p.py colour=red\n</Location>\n",
                 start=False)
    rc, out = srv.configtest()
    assert rc != 0 and "unknown option 'colour'" in out
    srv = apache("<Location /x>\n  Require wsgi-phase\n</Location>\n", start=False)
    rc, out = srv.configtest()
    assert rc != 0 and "Require wsgi-phase takes the name" in out
    srv = apache("<VirtualHost *:80>\n  WSGIPhaseScript /tmp/p.py object=gate\n"
                 "  WSGIPhaseOption a b\n</VirtualHost>\n<Location /y>\n  WSGIPhaseScript None\n"
                 "</Location>\n", start=False)
    rc, out = srv.configtest()
    assert rc == 0, out


def test_outside_phase_scope_python_is_never_entered(apache):
    """With Python unable to start, requests in a phase scope fail, and static files outside
    every scope are served: those hooks never needed Python."""
    srv = apache("WSGIPythonHome {root}/empty-home\nAlias /plain {root}/plain\n"
                 "<Directory {root}/plain>\n  Require all granted\n</Directory>\n"
                 "Alias /scoped {root}/plain\n<Location /scoped>\n"
                 "  WSGIPhaseScript {root}/apps/phases/lan.py\n</Location>\n", start=False)
    for d in ("plain", "empty-home"):
        os.makedirs(os.path.join(srv.root, d))
        os.chmod(os.path.join(srv.root, d), 0o755)
    with open(os.path.join(srv.root, "plain", "p.txt"), "w") as f:
        f.write("plain\n")
    os.chmod(os.path.join(srv.root, "plain", "p.txt"), 0o644)
    srv.start()
    assert requests.get(srv.url("/plain/p.txt")).text == "plain\n"
    assert requests.get(srv.url("/scoped/p.txt")).status_code == 500
    assert "cannot run the WSGIPhaseScript" in srv.log()

"""Auth scripts in a real Apache: what the differential table (test_auth_differential.py) cannot
show by comparison alone.  Which interpreter and module object a script runs in, the environ it
gets, script reloading, a site whose content belongs to a daemon process group, the error log,
configuration errors, Python missing in the children, and the prefork MPM.
"""
import json
import os
import time

import pytest
import requests

from functional import authconf
from functional.server import Apache

BASIC = """  AuthType Basic
  AuthName "%(realm)s"
  AuthBasicProvider wsgi
"""

CONF = """
WSGIScriptAlias /shared {root}/apps/auth/shared.py
<Location /shared>
  WSGIApplicationGroup %%{GLOBAL}
%(basic)s  WSGIAuthUserScript {root}/apps/auth/shared.py
  Require valid-user
</Location>
WSGIScriptAlias /separate {root}/apps/auth/shared.py
<Location /separate>
  WSGIApplicationGroup %%{GLOBAL}
%(basic)s  WSGIAuthUserScript {root}/apps/auth/shared.py application-group=auth-interp
  Require valid-user
</Location>
WSGIScriptAlias /server-group {root}/apps/auth/shared.py
<Location /server-group>
  WSGIApplicationGroup %%{GLOBAL}
%(basic)s  WSGIAuthUserScript {root}/apps/auth/shared.py application-group=%%{SERVER}
  Require valid-user
</Location>
WSGIScriptAlias /host-group {root}/apps/auth/shared.py
<Location /host-group>
  WSGIApplicationGroup %%{HOST}
%(basic)s  WSGIAuthUserScript {root}/apps/auth/shared.py application-group=%%{HOST}
  Require valid-user
</Location>
WSGIScriptAlias /env {root}/apps/auth_echo.wsgi
<Location /env>
  WSGIAccessScript {root}/apps/auth/env.py application-group=named
%(basic)s  WSGIAuthUserScript {root}/apps/auth/env.py application-group=named
  WSGIAuthGroupScript {root}/apps/auth/env.py application-group=named
  Require wsgi-group staff
</Location>
WSGIScriptAlias /basic {root}/apps/auth_echo.wsgi
<Location /basic>
%(basic)s  WSGIAuthUserScript {root}/apps/auth/all.py
  Require valid-user
</Location>
WSGIScriptAlias /one-script {root}/apps/auth_echo.wsgi
<Location /one-script>
  WSGIAccessScript {root}/apps/auth/all.py
%(basic)s  WSGIAuthUserScript {root}/apps/auth/all.py
  WSGIAuthGroupScript {root}/apps/auth/all.py
  Require wsgi-group staff
</Location>
WSGIScriptAlias /reload {root}/apps/auth_echo.wsgi
<Location /reload>
%(basic)s  WSGIAuthUserScript {root}/state/reload.py
  Require valid-user
</Location>
WSGIScriptAlias /noreload {root}/apps/auth_echo.wsgi
<Location /noreload>
  WSGIScriptReloading Off
%(basic)s  WSGIAuthUserScript {root}/state/noreload.py
  Require valid-user
</Location>
WSGIScriptAlias /errors {root}/apps/auth_echo.wsgi
<Location /errors>
%(basic)s  WSGIAuthUserScript {root}/state/errors.py
  Require valid-user
</Location>
WSGIDaemonProcess site processes=1 threads=2
WSGIScriptAlias /daemon-app {root}/apps/auth_echo.wsgi process-group=site
<Location /daemon-app>
%(basic)s  WSGIAuthUserScript {root}/apps/auth/env.py
  Require valid-user
</Location>
Alias /daemon {root}/htdocs
<Location /daemon>
  WSGIProcessGroup site
%(basic)s  WSGIAuthUserScript {root}/apps/auth/env.py
  Require valid-user
</Location>
""" % {"basic": BASIC % {"realm": "Test Area"}}

RELOADABLE = '''
def check_password(environ, user, password):
    return "%s-" + user
'''


ERRORS = '''
KEPT = []

def check_password(environ, user, password):
    errors = environ["wsgi.errors"]
    if user == "bytes":
        errors.write(b"not text")
    if user == "late":
        try:
            KEPT[0].write("after the call\\n")
        except RuntimeError as exc:
            errors.write("kept wsgi.errors: %s\\n" % exc)
    KEPT[:] = [errors]
    errors.write("first part, ")
    errors.writelines(["second part\\nline two\\n", "unfinished " + user])
    errors.flush() if user == "flushing" else None
    return errors.isatty() is False and errors.closed is False
'''


def _write(path, text, mtime=None):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


@pytest.fixture(scope="module")
def srv(request):
    server = authconf.prepare(Apache(CONF, modules=authconf.MODULES, processes=1))
    state = os.path.join(server.root, "state")
    os.mkdir(state)
    os.chmod(state, 0o777)
    for name in ("reload", "noreload"):
        _write(os.path.join(state, name + ".py"), RELOADABLE % "v1")
    _write(os.path.join(state, "errors.py"), ERRORS)
    request.addfinalizer(server.cleanup)
    return server.start()


def _state(srv, name):
    with open(os.path.join(srv.root, "state", name)) as f:
        return json.load(f)


def test_default_group_is_the_main_interpreter_and_shares_the_apps_module(srv):
    resp = requests.get(srv.url("/shared"), auth=("alice", "secret"))
    assert resp.status_code == 200
    seen = resp.json()
    # the renamed user names the interpreter the script ran in: %{GLOBAL}, i.e. ""
    assert seen["user"] == "alice@"
    # the application (WSGIApplicationGroup %{GLOBAL}) sees the call in its own module object
    assert ["", "alice"] in seen["calls"]


def test_application_group_option_runs_the_script_in_that_interpreter(srv):
    resp = requests.get(srv.url("/separate"), auth=("bob", "secret"))
    assert resp.status_code == 200
    seen = resp.json()
    assert seen["user"] == "bob@auth-interp"
    assert seen["group"] == ""
    # the main interpreter's copy of the module never saw that call
    assert ["auth-interp", "bob"] not in seen["calls"]
    resp = requests.get(srv.url("/server-group"), auth=("carol", "secret"))
    assert resp.json()["user"] == "carol@localhost:%d" % srv.port


def test_host_group_is_named_after_the_requested_host(srv):
    host = "alias.test:%d" % srv.port
    resp = requests.get(srv.url("/host-group"), auth=("dave", "secret"), headers={"Host": host})
    seen = resp.json()
    assert seen["user"] == "dave@" + host          # the auth script's interpreter
    assert seen["group"] == host                   # WSGIApplicationGroup %{HOST}, the same one
    assert [host, "dave"] in seen["calls"]


def test_environ_is_mod_wsgis_cut_down_one(srv):
    headers = {"X-Case": "env", "X-Custom": "custom value", "X_Under": "dropped",
               "Content-Type": "text/plain"}
    resp = requests.get(srv.url("/env/more/path?a=1"), headers=headers, auth=("alice", "secret"))
    assert resp.status_code == 200
    assert resp.text == "user=alice auth_type=Basic\n"
    calls = {name: _state(srv, "env-%s.json" % name)
             for name in ("allow_access", "check_password", "groups_for_user")}
    assert calls["allow_access"]["__args__"] == {"host": "127.0.0.1"}
    assert calls["check_password"]["__args__"] == {"user": "alice", "password": "secret"}
    assert calls["groups_for_user"]["__args__"] == {"user": "alice"}
    for env in calls.values():
        assert env["HTTP_X_CUSTOM"] == ["str", "custom value"]
        assert env["CONTENT_TYPE"] == ["str", "text/plain"]
        assert env["REQUEST_METHOD"] == ["str", "GET"]
        assert env["QUERY_STRING"] == ["str", "a=1"]
        assert env["REQUEST_URI"] == ["str", "/env/more/path?a=1"]
        assert env["SCRIPT_NAME"] == ["str", "/env"]
        assert env["PATH_INFO"] == ["str", "/more/path"]
        assert env["REMOTE_ADDR"] == ["str", "127.0.0.1"]
        assert env["SERVER_PORT"] == ["str", str(srv.port)]
        assert env["mod_wsgi.application_group"] == ["str", "named"]
        assert env["mod_wsgi.process_group"] == ["str", ""]
        assert "wsgi.errors" in env and "mod_ssl.var_lookup" in env
        for absent in ("HTTP_AUTHORIZATION", "HTTP_X_UNDER", "wsgi.input", "REMOTE_USER",
                       "AUTH_TYPE", "wsgi.version"):
            assert absent not in env
    assert srv.wait_log("env.py: groups_for_user saw case env")


def test_one_script_provides_all_three_directives(srv):
    assert requests.get(srv.url("/one-script?true"), auth=("alice", "secret")).status_code == 200
    assert requests.get(srv.url("/one-script?false"), auth=("alice", "secret")).status_code == 403
    assert requests.get(srv.url("/one-script?none"), auth=("bob", "secret")).status_code == 401


def test_exception_is_a_500_with_the_traceback_in_the_error_log(srv):
    resp = requests.get(srv.url("/basic"), auth=("boom", "x"))
    assert resp.status_code == 500
    assert srv.wait_log("RuntimeError: check_password failed on purpose")
    log = srv.log()
    assert "Traceback (most recent call last):" in log
    assert 'all.py", line' in log and "in check_password" in log


def test_str_return_becomes_the_user_the_app_and_access_log_see(srv):
    resp = requests.get(srv.url("/basic"), auth=("rename", "secret"))
    assert resp.text == "user=renamed auth_type=Basic\n"
    deadline = time.time() + 5
    while time.time() < deadline:
        with open(os.path.join(srv.root, "access.log")) as f:
            if ' renamed "GET /basic HTTP/1.1" 200' in f.read():
                break
        time.sleep(0.05)
    else:
        pytest.fail("the access log does not show the renamed user")


def test_script_reloading_reimports_a_changed_script(srv):
    for path in ("/reload", "/noreload"):
        assert requests.get(srv.url(path), auth=("alice", "x")).text.startswith("user=v1-alice")
    future = time.time() + 10
    for name in ("reload", "noreload"):
        _write(os.path.join(srv.root, "state", name + ".py"), RELOADABLE % "v2", mtime=future)
    assert requests.get(srv.url("/reload"), auth=("alice", "x")).text.startswith("user=v2-alice")
    # WSGIScriptReloading Off keeps the module loaded first
    assert requests.get(srv.url("/noreload"), auth=("alice", "x")).text.startswith("user=v1-")


def test_scripts_run_in_the_apache_child_when_content_belongs_to_a_daemon_group(srv):
    resp = requests.get(srv.url("/daemon/open/page.txt"), headers={"X-Case": "daemon"},
                        auth=("alice", "secret"))
    assert resp.status_code == 200
    assert resp.text == "open page\n"
    env = _state(srv, "daemon-check_password.json")
    assert env["__ppid__"] == srv.proc.pid      # a child of the Apache parent
    assert env["mod_wsgi.process_group"] == ["str", ""]
    assert env["mod_wsgi.application_group"] == ["str", ""]
    assert requests.get(srv.url("/daemon/open/page.txt"),
                        auth=("alice", "wrong")).status_code == 401


def test_scripts_run_in_the_apache_child_for_an_application_in_a_daemon_group(srv):
    """The application is assigned to a daemon group: authentication still happens in the
    Apache child, before the request goes to the group; the authenticated request then reaches
    the application in the daemon with REMOTE_USER and AUTH_TYPE."""
    assert requests.get(srv.url("/daemon-app"), auth=("alice", "wrong")).status_code == 401
    resp = requests.get(srv.url("/daemon-app"), headers={"X-Case": "daemonapp"},
                        auth=("alice", "secret"))
    env = _state(srv, "daemonapp-check_password.json")
    assert env["__ppid__"] == srv.proc.pid      # ran in a child of the Apache parent
    assert env["mod_wsgi.application_group"] == ["str", ""]
    assert resp.status_code == 200
    assert resp.text == "user=alice auth_type=Basic\n"


@pytest.mark.parametrize("line, message", [
    ("WSGIAuthUserScript", "takes a script path"),
    ("WSGIAuthGroupScript /x.py process-group=a", "unknown option 'process-group'"),
    ("WSGIAccessScript /x.py application-group=", "must not be empty"),
    ("WSGIAuthUserScript /x.py application-group", "expected option=value"),
])
def test_configuration_errors_name_the_line(line, message):
    server = Apache("<Location />\n%s\n</Location>\n" % line)
    try:
        rc, out = server.configtest()
    finally:
        server.cleanup()
    assert rc != 0
    assert "httpd.conf" in out and message in out


def test_python_missing_in_the_children_is_a_500_with_a_log_line(apache):
    conf = """
WSGIPythonHome {root}/apps
Alias /p {root}/htdocs
<Location /p>
%s  WSGIAuthUserScript {root}/apps/auth/all.py
  Require valid-user
</Location>
Alias /a {root}/htdocs
<Location /a>
  WSGIAccessScript {root}/apps/auth/all.py
</Location>
Alias /g {root}/htdocs
<Location /g>
  AuthType Basic
  AuthName "G"
  AuthBasicProvider file
  AuthUserFile {root}/htpasswd
  WSGIAuthGroupScript {root}/apps/auth/all.py
  Require wsgi-group staff
</Location>
""" % (BASIC % {"realm": "P"})
    srv = authconf.prepare(apache(conf, start=False, modules=authconf.MODULES)).start()
    assert requests.get(srv.url("/p/open/page.txt"), auth=("alice", "secret")).status_code == 500
    assert requests.get(srv.url("/a/open/page.txt?true")).status_code == 500
    assert requests.get(srv.url("/g/open/page.txt"), auth=("ghost", "secret")).status_code == 500
    assert srv.wait_log("cannot run the WSGIAuthGroupScript")
    assert srv.wait_log("cannot run the WSGIAuthUserScript")
    assert srv.wait_log("cannot run the WSGIAccessScript")


def test_prefork_with_scripts_in_a_named_interpreter(apache):
    conf = """
WSGIScriptAlias /p {root}/apps/auth_echo.wsgi
<Location /p>
  WSGIAccessScript {root}/apps/auth/all.py application-group=auth
%s  WSGIAuthUserScript {root}/apps/auth/all.py application-group=auth
  WSGIAuthGroupScript {root}/apps/auth/all.py application-group=auth
  Require wsgi-group staff
</Location>
""" % (BASIC % {"realm": "P"})
    srv = apache(conf, mpm="prefork", modules=authconf.MODULES)
    for _ in range(4):      # reach both children
        assert requests.get(srv.url("/p?true"), auth=("alice", "secret")).status_code == 200
        assert requests.get(srv.url("/p?true"), auth=("bob", "secret")).status_code == 401
        assert requests.get(srv.url("/p?false"), auth=("alice", "secret")).status_code == 403
        assert requests.get(srv.url("/p?true"), auth=("ghost", "secret")).status_code == 401


def test_wsgi_errors_of_an_auth_script_logs_whole_lines_and_the_unfinished_one(srv):
    assert requests.get(srv.url("/errors"), auth=("alice", "x")).status_code == 200
    assert srv.wait_log("first part, second part")
    assert srv.wait_log("line two")
    assert srv.wait_log("unfinished alice")     # logged when the call returned
    assert requests.get(srv.url("/errors"), auth=("flushing", "x")).status_code == 200
    assert srv.wait_log("unfinished flushing")
    # kept past its call, it refuses: the request it belonged to is over
    assert requests.get(srv.url("/errors"), auth=("late", "x")).status_code == 200
    assert srv.wait_log("kept wsgi.errors: ")
    assert "after the call" not in srv.log()
    # only text: anything else is the script's error, a 500 with the traceback
    assert requests.get(srv.url("/errors"), auth=("bytes", "x")).status_code == 500
    assert srv.wait_log("TypeError: wsgi.errors.write() takes str, not bytes")

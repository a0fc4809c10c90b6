"""Daemon mode against a real Apache: requests reach WSGIDaemonProcess groups, run as the right
user, with the embedded-mode environ, streamed bodies both ways, errors as in embedded mode, and
configuration mistakes that fail apache2 -t with file and line."""
import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from functional.conftest import module_server

CONF = """
WSGIDaemonProcess site processes=2 threads=4 display-name=%{GROUP}
WSGIDaemonProcess other threads=2 home={root}/apps
WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=site
WSGIScriptAlias /home {root}/apps/daemon/app.wsgi process-group=other
WSGIScriptAlias /a {root}/apps/daemon/modules.wsgi process-group=site application-group=A
WSGIScriptAlias /b {root}/apps/daemon/modules.wsgi process-group=site application-group=B
WSGIScriptAlias /embedded {root}/apps/daemon/app.wsgi
<Location /app>
  SetEnv WX_FROM_SETENV yes
</Location>
<Location /override>
  WSGIErrorOverride On
</Location>
WSGIScriptAlias /override {root}/apps/daemon/app.wsgi process-group=site
ErrorDocument 403 "apache-error-document"
"""


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param)


def get(srv, path, data=None, headers=None, timeout=20):
    req = urllib.request.Request(srv.url(path), data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as f:
            return f.status, f.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_request_runs_in_a_daemon_process(srv):
    status, body = get(srv, "/app/")
    assert status == 200
    fields = dict(kv.split("=", 1) for kv in body.decode().split())
    assert fields["group"] == "site"
    pid = int(fields["pid"])
    apache_pids = set(int(p) for p in subprocess.check_output(
        ["pgrep", "-s", str(os.getsid(srv.proc.pid))], text=True).split()) if False else set()
    assert pid != srv.proc.pid
    with open("/proc/%d/status" % pid) as f:
        name = f.readline().split(None, 1)[1].strip()
    assert name == "(wsgi:site)"[:15]
    if os.geteuid() == 0:
        import pwd
        assert int(fields["uid"]) == pwd.getpwnam("www-data").pw_uid


def test_home_is_the_working_directory(srv):
    fields = dict(kv.split("=", 1) for kv in get(srv, "/home/")[1].decode().split())
    assert fields["cwd"] == os.path.join(srv.root, "apps")
    assert fields["group"] == "other"


def test_persistent_connections_reach_the_same_processes(srv):
    pids = set()
    for _ in range(20):
        body = get(srv, "/app/")[1].decode()
        pids.add(re.search(r"pid=(\d+)", body).group(1))
    assert 1 <= len(pids) <= 2      # processes=2


def test_environ_is_the_embedded_one(srv):
    status, body = get(srv, "/app/env?x=1", headers={"X-Test": "v"})
    env = json.loads(body)
    d_env = json.loads(get(srv, "/embedded/env?x=1", headers={"X-Test": "v"})[1])
    assert env["mod_wsgi.process_group"] == "site"
    assert d_env["mod_wsgi.process_group"] == ""
    assert env["WX_FROM_SETENV"] == "yes"
    assert env["HTTP_X_TEST"] == "v"
    assert env["SCRIPT_NAME"] == "/app" and env["PATH_INFO"] == "/env"
    assert env["QUERY_STRING"] == "x=1"
    assert env["wsgi.multithread"] is True and env["wsgi.multiprocess"] is True
    assert env["wsgi.url_scheme"] == "http" and env["wsgi.input_terminated"] is True
    skip = {"mod_wsgi.process_group", "wsgi.multithread", "wsgi.multiprocess",
            "mod_wsgi.application_group", "mod_wsgi.request_id", "mod_wsgi.request_start",
            "SCRIPT_NAME", "REQUEST_URI", "SCRIPT_FILENAME", "REMOTE_PORT", "WX_FROM_SETENV",
            "UNIQUE_ID", "SCRIPT_URI", "SCRIPT_URL"}
    assert set(env) - skip == set(d_env) - skip


def test_upload_and_download_stream(srv):
    data = os.urandom(3 * 1024 * 1024 + 17)
    status, body = get(srv, "/app/echo", data=data)
    assert status == 200 and body == data
    status, body = get(srv, "/app/download?%d" % (5 * 1024 * 1024 + 3))
    assert status == 200 and len(body) == 5 * 1024 * 1024 + 3


def test_chunked_upload_is_refused_by_default(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("POST", "/app/count", body=iter([b"abc", b"defg"]),
                 headers={"Transfer-Encoding": "chunked"})
    assert conn.getresponse().status == 411


def test_streamed_response_arrives_chunk_by_chunk(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/app/stream")
    resp = conn.getresponse()
    t0 = time.monotonic()
    first = resp.readline()
    t_first = time.monotonic() - t0
    rest = resp.read()
    assert first == b"part0\n" and rest == b"part1\npart2\n"
    # the first part arrived before the generator finished (it sleeps 0.6 s after it)
    assert t_first < 0.6


def test_exception_is_500_with_traceback_in_the_log(srv):
    status, _ = get(srv, "/app/boom")
    assert status == 500
    assert srv.wait_log("RuntimeError: boom in daemon")
    assert "(daemon site)" in srv.log()
    assert get(srv, "/app/")[0] == 200


def test_print_and_wsgi_errors_reach_the_error_log_with_the_group(srv):
    get(srv, "/app/print")
    assert srv.wait_log("(daemon site): printed from the daemon app")
    assert srv.wait_log("(daemon site) wsgi.errors from the daemon app")


def test_error_override_uses_the_error_document(srv):
    assert get(srv, "/app/error-status") == (403, b"app says no")
    assert get(srv, "/override/error-status") == (403, b"apache-error-document")


def test_application_groups_get_their_own_module(srv):
    a1 = json.loads(get(srv, "/a")[1])
    b1 = json.loads(get(srv, "/b")[1])
    assert a1["module"] != b1["module"]
    assert a1["group"] == "A" and b1["group"] == "B"


def test_socket_refuses_other_users(srv):
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    sock = [f for f in os.listdir(srv.root) if f.startswith("wsgi.") and f.endswith(".sock")]
    assert sock
    path = os.path.join(srv.root, sock[0])
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o600
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect(%r)\nexcept PermissionError:\n sys.exit(13)\n" % path)
    p = subprocess.run(["/usr/bin/python3", "-c", code], user="nobody")
    assert p.returncode == 13


def test_secret_is_not_in_argv_or_environment(srv):
    body = get(srv, "/app/")[1].decode()
    pid = int(re.search(r"pid=(\d+)", body).group(1))
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    assert b"--secret-fd" in argv
    fd = argv[argv.index(b"--secret-fd") + 1].decode()
    assert not os.path.exists("/proc/%d/fd/%s" % (pid, fd))   # read once and closed
    with open("/proc/%d/environ" % pid, "rb") as f:
        assert b"SECRET" not in f.read().upper()


def test_a_forged_connection_is_refused(srv):
    """Same user, no secret: the daemon closes without running anything."""
    sock = [f for f in os.listdir(srv.root) if f.startswith("wsgi.") and f.endswith(".sock")][0]
    before = get(srv, "/app/")[1]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(os.path.join(srv.root, sock))
    s.sendall(b"WXD\x01" + bytes(32) + b"Q\x00\x00\x00\x00")
    try:
        assert s.recv(100) == b""
    except ConnectionResetError:
        pass
    assert srv.wait_log("wrong secret")


CONFIG_ERRORS = [
    ("WSGIDaemonProcess d proceses=2", "unknown option 'proceses'; did you mean 'processes'?"),
    ("WSGIDaemonProcess", "the name of the daemon process group is missing"),
    ("WSGIDaemonProcess processes=2", "is not a group name"),
    ("WSGIDaemonProcess d processes=0", "option processes must be an integer of 1 or more"),
    ("WSGIDaemonProcess d threads=x", "option threads must be an integer"),
    ("WSGIDaemonProcess d user=no-such-user-xyz", "no user 'no-such-user-xyz'"),
    ("WSGIDaemonProcess d umask=999", "octal"),
    ("WSGIDaemonProcess d home=/no/such/dir", "not an existing directory"),
    ("WSGIDaemonProcess d\nWSGIDaemonProcess d threads=2",
     "the name 'd' is already used by the WSGIDaemonProcess on line"),
    ("WSGIProcessGroup nosuch", "WSGIProcessGroup: no WSGIDaemonProcess defines the process "
                                "group 'nosuch'"),
    ("WSGIScriptAlias /x {root}/apps/hello.wsgi process-group=nosuch",
     "WSGIScriptAlias: no WSGIDaemonProcess defines the process group 'nosuch'"),
]


@pytest.mark.parametrize("conf,message", CONFIG_ERRORS)
def test_configuration_errors_fail_configtest_with_file_and_line(apache, conf, message):
    srv = apache(conf + "\n", start=False)
    rc, out = srv.configtest()
    assert rc != 0
    assert message in out
    assert re.search(r"line \d+ of %s" % re.escape(srv.conf), out)


def test_group_defined_after_use_and_compat_options_warn(apache):
    srv = apache("WSGIScriptAlias /x {root}/apps/hello.wsgi process-group=late\n"
                 "WSGIDaemonProcess late threads=2 stack-size=524288 cpu-priority=1 "
                 "server-metrics=On\n")
    assert get(srv, "/x")[0] == 200
    log = srv.log()
    assert log.count("WSGIDaemonProcess option stack-size is accepted for mod_wsgi "
                     "compatibility; no effect") == 1
    assert "option cpu-priority is accepted" in log
    assert "server-metrics is accepted" not in log


def test_env_group_naming_no_group_is_a_500_naming_it(apache):
    srv = apache("WSGIDaemonProcess real threads=2\n"
                 "SetEnvIf Request_URI . PG=ghost\n"
                 "WSGIScriptAlias /x {root}/apps/hello.wsgi process-group=%{ENV:PG}\n")
    assert get(srv, "/x")[0] == 500
    assert srv.wait_log("asks for the daemon process group 'ghost', which no "
                        "WSGIDaemonProcess defines")


def test_no_daemon_left_after_stop(apache):
    srv = apache("WSGIDaemonProcess s processes=2 threads=2\n"
                 "WSGIScriptAlias /x {root}/apps/daemon/app.wsgi process-group=s\n")
    body = get(srv, "/x/")[1].decode()
    pids = [int(p) for p in re.findall(r"daemon process \d of group 's' \(pid (\d+)\)",
                                       srv.log())]
    assert len(pids) == 2
    srv.stop()
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        assert state in ("Z", "X"), "daemon %d still running after stop" % pid


def test_restrict_embedded_serves_daemon_groups_without_python_in_the_children(apache):
    """No script that runs in the child is configured: the children do not start Python.  An
    auth script that only an .htaccess file names (read per request, after start-up) then
    cannot run there: refused with a log line, never a crash."""
    srv = apache("WSGIRestrictEmbedded On\n"
                 "WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /d {root}/apps/daemon/app.wsgi process-group=g\n"
                 "WSGIScriptAlias /e {root}/apps/hello.wsgi\n"
                 "Alias /ht {root}/ht\n"
                 "<Directory {root}/ht>\n  AllowOverride AuthConfig\n  Require all granted\n"
                 "</Directory>\n", modules=("auth_basic", "authz_user"), start=False)
    import base64
    ht = os.path.join(srv.root, "ht")
    os.mkdir(ht, 0o755)
    with open(os.path.join(ht, "f.txt"), "w") as f:
        f.write("behind auth\n")
    with open(os.path.join(ht, ".htaccess"), "w") as f:
        f.write("AuthType Basic\nAuthName x\nAuthBasicProvider wsgi\n"
                "WSGIAuthUserScript %s/apps/auth/all.py\nRequire valid-user\n" % srv.root)
    for name in ("f.txt", ".htaccess"):
        os.chmod(os.path.join(ht, name), 0o644)
    srv.start()
    assert get(srv, "/d/")[0] == 200
    assert get(srv, "/e")[0] == 500
    assert srv.wait_log("WSGIRestrictEmbedded On")
    status, _ = get(srv, "/ht/f.txt", headers={
        "Authorization": "Basic " + base64.b64encode(b"alice:secret").decode()})
    assert status == 500
    assert srv.wait_log("Python is not started in the Apache children (WSGIRestrictEmbedded On)")
    assert get(srv, "/d/")[0] == 200


def test_restrict_embedded_with_an_auth_script_runs_it_in_the_child(apache):
    """As mod_wsgi: a WSGIAuthUserScript in the configuration makes the children start Python
    under WSGIRestrictEmbedded On, so the authenticated request reaches its daemon group."""
    import base64
    srv = apache("WSGIRestrictEmbedded On\n"
                 "WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /d {root}/apps/daemon/app.wsgi process-group=g\n"
                 "WSGIScriptAlias /e {root}/apps/hello.wsgi\n"
                 "<Location /d/auth>\n"
                 "  AuthType Basic\n  AuthName x\n  AuthBasicProvider wsgi\n"
                 "  WSGIAuthUserScript {root}/apps/auth/all.py\n  Require valid-user\n"
                 "</Location>\n", modules=("auth_basic", "authz_user"))
    auth = {"Authorization": "Basic " + base64.b64encode(b"alice:secret").decode()}
    assert get(srv, "/d/auth", headers=auth)[0] == 200
    bad = {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()}
    assert get(srv, "/d/auth", headers=bad)[0] == 401
    assert get(srv, "/e")[0] == 500         # embedded applications are still refused


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_restrict_embedded_with_a_dispatch_script_starts_python_for_it(apache, mpm):
    """mod_wsgi's own suite runs WSGIDispatchScript with WSGIRestrictEmbedded On (what
    mod_wsgi-express writes).  As in mod_wsgi, a script that runs in the Apache child (dispatch,
    auth, access, phases) makes the children start Python even then: the dispatch script runs
    and the request reaches its daemon group, while an embedded application is still refused.
    (Before, the child had no Python and died of SIGSEGV asking for a GIL.)"""
    srv = apache("WSGIRestrictEmbedded On\n"
                 "WSGIDispatchScript {root}/apps/compat10/dispatch.py\n"
                 "WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /d {root}/apps/daemon/app.wsgi process-group=g\n"
                 "WSGIScriptAlias /e {root}/apps/daemon/app.wsgi\n", mpm=mpm)
    for _ in range(3):
        assert get(srv, "/d/")[0] == 200, srv.log()
        assert get(srv, "/d/global/")[0] == 200, srv.log()
    assert get(srv, "/e/")[0] == 500
    assert srv.wait_log("WSGIRestrictEmbedded")
    time.sleep(1.5)     # the parent logs a child's death at its next maintenance tick
    assert "Segmentation fault" not in srv.log()


def test_daemon_mode_as_an_ordinary_user(apache, monkeypatch):
    """Apache started by an ordinary user (as mod-wsgi-ext serve does without root): the
    daemons run as that user, and serve."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start Apache as another, ordinary user")
    import pwd
    import shutil
    from functional import server as S
    monkeypatch.setattr(S, "run_user", lambda: "")     # no User/Group lines, as a user writes
    srv = S.Apache("WSGIDaemonProcess g threads=2\n"
                   "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n")
    pw = pwd.getpwnam("www-data")
    for d, _, files in os.walk(srv.root):
        os.chown(d, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(d, f), pw.pw_uid, pw.pw_gid)
    proc = subprocess.Popen(["setpriv", "--reuid=www-data", "--regid=www-data", "--init-groups",
                             S.APACHE, "-f", srv.conf, "-DFOREGROUND"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        status = body = None
        for _ in range(100):
            try:
                status, body = get(srv, "/app/", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200, srv.log()
        fields = dict(kv.split("=", 1) for kv in body.decode().split())
        assert int(fields["uid"]) == pw.pw_uid
    finally:
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(srv.root, ignore_errors=True)

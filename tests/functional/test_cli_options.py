"""`serve` / `setup-server` options, one test per option group, each against a real Apache
started by the command itself (issue 7): application types, Python path and working directory,
environment, MPMs, users, logging, HTTPS, access control, document root, reloading, included
files, daemon-mode configuration, validation, and what `serve` prints and cleans up.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from functional.server import Apache, free_port

COMMAND = os.path.join(os.path.dirname(sys.executable), "mod-wsgi-ext")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="Apache switches users only as root")

APP = '''\
import json
import os
import sys

def application(environ, start_response):
    import helper
    keys = ("SCRIPT_NAME", "PATH_INFO", "REMOTE_USER", "FOO", "MYVAR", "wsgi.url_scheme",
            "wsgi.multithread")
    seen = {k: environ.get(k) for k in keys}
    seen.update(cwd=os.getcwd(), path=sys.path, uid=os.getuid(), pid=os.getpid(),
                helper=helper.VALUE, app="script")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]

def other(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"other callable"]
'''


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="wx-cliopt-")
    os.chmod(d, 0o755)
    write(os.path.join(d, "app.wsgi"), APP)
    write(os.path.join(d, "helper.py"), "VALUE = 1\n")
    write(os.path.join(d, "site_pkg", "__init__.py"), "")
    write(os.path.join(d, "site_pkg", "wsgi.py"), APP)
    for dirpath, dirnames, _ in os.walk(d):
        os.chmod(dirpath, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run(args, cwd, **kw):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, **kw)


class Served:
    """`mod-wsgi-ext serve ...` in its own session, its terminal in a file."""

    def __init__(self, args, cwd, env=None, port=None, prefix=()):
        self.port = port or free_port()
        self.log = tempfile.mktemp(prefix="wx-terminal-", dir=cwd)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(list(prefix) + [COMMAND, "serve"] + args +
                                     ["--port", str(self.port)], cwd=cwd, env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            if "mod_wsgi_ext: serving" in self.terminal():
                return
            time.sleep(0.05)
        raise AssertionError("serve did not serve:\n" + self.terminal())

    def terminal(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def get(self, path="/", scheme="http", port=None, headers=None, host="127.0.0.1"):
        req = urllib.request.Request("%s://%s:%d%s" % (scheme, host, port or self.port, path),
                                     headers=headers or {})
        ctx = ssl._create_unverified_context() if scheme == "https" else None
        try:
            with urllib.request.urlopen(req, timeout=15, context=ctx) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path="/", **kw):
        status, _, body = self.get(path, **kw)
        assert status == 200, (status, body, self.terminal())
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


@pytest.fixture
def serve(workdir):
    started = []

    def start(*args, cwd=None, **kw):
        s = Served(list(args), cwd or workdir, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


# ------------------------------------------------------------------ the application

@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_application_types_callable_and_mount_point(serve, workdir, mpm):
    s = serve("--application-type", "module", "site_pkg.wsgi", "--embedded", "--mpm", mpm)
    seen = s.json("/x")
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("", "/x")
    assert seen["cwd"] == workdir and workdir in seen["path"]      # as express: cwd on the path
    assert s.stop() == 0
    s = serve("--entry-point", os.path.join(workdir, "app.wsgi"), "--callable-object", "other",
              "--mount-point", "/app", "--embedded", "--server-mpm", mpm)
    assert s.get("/app/y")[2] == b"other callable"
    status, _, body = s.get("/y")        # outside the mount point: not the application
    assert status in (403, 404) and b"other callable" not in body


def test_paste_application(serve, workdir):
    write(os.path.join(workdir, "pasteapp.py"),
          "def make_app(global_conf, **local):\n"
          "    def app(environ, start_response):\n"
          "        start_response('200 OK', [('Content-Type', 'text/plain')])\n"
          "        return [('paste greeting=%s' % local['greeting']).encode()]\n"
          "    return app\n")
    ini = write(os.path.join(workdir, "site.ini"),
                "[app:main]\nuse = call:pasteapp:make_app\ngreeting = hi\n")
    s = serve("--application-type", "paste", ini, "--embedded")
    assert s.get("/")[2] == b"paste greeting=hi"


def test_python_path_and_working_directory(serve, workdir):
    extra = os.path.join(workdir, "extra")
    write(os.path.join(extra, "helper.py"), "VALUE = 'from extra'\n")
    os.chmod(extra, 0o755)
    wd = os.path.join(workdir, "wd")
    os.mkdir(wd, 0o755)
    os.remove(os.path.join(workdir, "helper.py"))
    s = serve(os.path.join(workdir, "app.wsgi"), "--python-path", extra, "--working-directory",
              wd, "--embedded")
    seen = s.json()
    assert seen["helper"] == "from extra" and seen["cwd"] == wd
    assert seen["path"].index(wd) < seen["path"].index(extra)


def test_setenv_and_passenv(serve, workdir):
    env = dict(os.environ, MYVAR="from the shell")
    s = serve("app.wsgi", "--setenv", "FOO", "a \"quoted\" $value", "--passenv", "MYVAR",
              "--embedded", env=env)
    seen = s.json()
    assert seen["FOO"] == 'a "quoted" $value' and seen["MYVAR"] == "from the shell"


@pytest.mark.parametrize("mpm", ["worker", "prefork"])
def test_server_mpm_and_include_file(serve, workdir, mpm):
    inc = write(os.path.join(workdir, "extra.conf"),
                "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n"
                "Header set X-Included yes\n")
    s = serve("app.wsgi", "--server-mpm", mpm, "--include-file", inc, "--embedded")
    status, headers, body = s.get()
    assert status == 200 and headers["X-Included"] == "yes"
    assert json.loads(body)["wsgi.multithread"] is (mpm == "worker")
    assert "mpm_%s" % mpm in s.terminal()


@as_root
def test_server_root_the_children_cannot_read_is_refused(workdir):
    private = tempfile.mkdtemp(prefix="wx-private-root-", dir="/root")
    try:
        p = run([COMMAND, "setup-server", "app.wsgi", "--embedded", "--server-root",
                 os.path.join(private, "sr")], cwd=workdir)
        assert p.returncode == 2 and "Traceback" not in p.stderr
        assert "not searchable by www-data (--server-root %s)" % private in p.stderr
    finally:
        shutil.rmtree(private)


@as_root
def test_run_from_a_directory_the_children_cannot_read(workdir):
    """As root from /root (the usual shell): the working directory falls back to the
    application's folder, with a note, instead of a refusal or an unreadable sys.path entry."""
    private = tempfile.mkdtemp(prefix="wx-cwd-", dir="/root")
    try:
        s = Served([os.path.join(workdir, "app.wsgi"), "--embedded"], private)
        try:
            seen = s.json()
            assert seen["cwd"] == workdir and private not in seen["path"]
            assert "www-data cannot read the current directory %s; the application runs in %s" \
                % (private, workdir) in s.terminal()
        finally:
            assert s.stop() == 0
    finally:
        shutil.rmtree(private)


def test_maximum_requests_in_embedded_mode_replaces_children(serve, workdir):
    s = serve("app.wsgi", "--embedded", "--mpm", "prefork", "--processes", "1", "--threads",
              "1", "--maximum-requests", "2")
    pids = {s.json()["pid"] for _ in range(6)}
    assert len(pids) >= 2, pids


def test_auth_type_digest(serve, workdir):
    import requests
    from requests.auth import HTTPDigestAuth
    auth = write(os.path.join(workdir, "auth.py"),
                 "import hashlib\n"
                 "def get_realm_hash(environ, user, realm):\n"
                 "    if user != 'ann':\n"
                 "        return None\n"
                 "    return hashlib.md5(('%s:%s:%s' % (user, realm, 'secret')).encode())"
                 ".hexdigest()\n")
    s = serve("app.wsgi", "--auth-user-script", auth, "--auth-type", "Digest", "--embedded")
    url = "http://127.0.0.1:%d/" % s.port
    r = requests.get(url, timeout=10)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Digest")
    r = requests.get(url, auth=HTTPDigestAuth("ann", "secret"), timeout=10)
    assert r.status_code == 200 and r.json()["REMOTE_USER"] == "ann"
    assert requests.get(url, auth=HTTPDigestAuth("ann", "nope"), timeout=10).status_code == 401


def test_setup_server_log_to_terminal(workdir):
    root = os.path.join(workdir, "sr")
    p = run([COMMAND, "setup-server", "app.wsgi", "--embedded", "--log-to-terminal",
             "--server-root", root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(root, "httpd.conf")) as f:
        conf = f.read()
    assert 'ErrorLog "/dev/stderr"' in conf and 'CustomLog "/dev/stdout" common' in conf


@as_root
def test_user_and_group(serve, workdir):
    nobody = pwd.getpwnam("nobody")
    s = serve("app.wsgi", "--user", "nobody", "--embedded")
    assert s.json()["uid"] == nobody.pw_uid


# ------------------------------------------------------------------ logging

def test_log_directory_level_and_startup_log(serve, workdir):
    logs = os.path.join(workdir, "logs")
    os.mkdir(logs, 0o755)
    s = serve("app.wsgi", "--log-directory", logs, "--log-level", "info", "--startup-log",
              "--embedded")
    assert s.get("/logged")[0] == 200
    s.stop()
    with open(os.path.join(logs, "access_log")) as f:
        assert '"GET /logged HTTP/1.1" 200' in f.read()
    with open(os.path.join(logs, "error_log")) as f:
        text = f.read()
    assert "resuming normal operations" in text and ":info]" in text
    assert os.path.isfile(os.path.join(logs, "startup_log"))
    assert '"GET /logged' not in s.terminal()      # not on the terminal


def test_error_log_and_access_log_files(serve, workdir):
    err, acc = os.path.join(workdir, "e.log"), os.path.join(workdir, "a.log")
    s = serve("app.wsgi", "--error-log", err, "--access-log=" + acc, "--embedded")
    s.get("/a")
    s.stop()
    with open(acc) as f:
        assert '"GET /a HTTP/1.1" 200' in f.read()
    with open(err) as f:
        assert "resuming normal operations" in f.read()


# ------------------------------------------------------------------ HTTPS and access control

def test_https_port(serve, workdir):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert], check=True,
                   capture_output=True)
    https = free_port()
    s = serve("app.wsgi", "--https-port", str(https), "--ssl-certificate-file", cert,
              "--ssl-certificate-key-file", key, "--embedded")
    assert s.json(scheme="https", port=https)["wsgi.url_scheme"] == "https"
    assert s.json()["wsgi.url_scheme"] == "http"


def test_auth_user_script_and_host_access_script(serve, workdir):
    auth = write(os.path.join(workdir, "auth.py"),
                 "def check_password(environ, user, password):\n"
                 "    return password == 'secret'\n")
    s = serve("app.wsgi", "--auth-user-script", auth, "--embedded")
    status, headers, _ = s.get()
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    import base64
    ok = {"Authorization": "Basic " + base64.b64encode(b"ann:secret").decode()}
    assert s.json(headers=ok)["REMOTE_USER"] == "ann"
    bad = {"Authorization": "Basic " + base64.b64encode(b"ann:wrong").decode()}
    assert s.get(headers=bad)[0] == 401
    s.stop()
    access = write(os.path.join(workdir, "access.py"),
                   "def allow_access(environ, host):\n"
                   "    return environ['PATH_INFO'] != '/private'\n")
    s = serve("app.wsgi", "--host-access-script", access, "--embedded")
    assert s.get("/public")[0] == 200 and s.get("/private")[0] == 403


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_phases_script(serve, workdir, mpm):
    phases = write(os.path.join(workdir, "phases.py"),
                   "from wsgi_phases import Phases, OK, Deny\n\n"
                   "phases = Phases()\n\n"
                   "@phases.access\n"
                   "def no_private(request):\n"
                   "    if request.uri.startswith('/private'):\n"
                   "        raise Deny(403, body='no entry')\n"
                   "    return OK\n")
    s = serve("app.wsgi", "--phases", phases, "--embedded", "--mpm", mpm)
    assert s.json("/public")["PATH_INFO"] == "/public"
    status, _, body = s.get("/private")
    assert status == 403 and b"no entry" in body


def test_document_root(serve, workdir):
    docs = os.path.join(workdir, "htdocs")
    write(os.path.join(docs, "robots.txt"), "User-agent: *\n")
    os.chmod(docs, 0o755)
    s = serve("app.wsgi", "--document-root", docs, "--embedded")
    status, headers, body = s.get("/robots.txt")
    assert (status, body) == (200, b"User-agent: *\n")
    assert headers["Content-Type"].startswith("text/plain")
    assert s.json("/anything/else")["PATH_INFO"] == "/anything/else"


# ------------------------------------------------------------------ reloading

@pytest.mark.parametrize("who", ["root", "ordinary-user"])
def test_reload_on_changes_any_module(serve, workdir, who):
    """A change to an imported module (not the script) restarts the processes gracefully."""
    prefix = ()
    if who == "ordinary-user":
        if os.geteuid() != 0:
            pytest.skip("needs root to become another user")
        pw = pwd.getpwnam("www-data")
        for dirpath, dirnames, filenames in os.walk(workdir):
            os.chown(dirpath, pw.pw_uid, pw.pw_gid)
            for n in filenames:
                os.chown(os.path.join(dirpath, n), pw.pw_uid, pw.pw_gid)
        prefix = ("setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                  "--clear-groups", "--")
    elif os.geteuid() != 0:
        pytest.skip("the root case needs root")
    s = serve("app.wsgi", "--reload-on-changes", "--embedded", "--server-root",
              os.path.join(workdir, "sr"), prefix=prefix)
    first = s.json()
    assert first["helper"] == 1
    time.sleep(1.2)
    write(os.path.join(workdir, "helper.py"), "VALUE = 2\n")
    if prefix:
        os.chown(os.path.join(workdir, "helper.py"), pw.pw_uid, pw.pw_gid)
    deadline = time.time() + 20
    seen = first
    while time.time() < deadline and seen["helper"] != 2:
        time.sleep(0.3)
        try:
            seen = s.json()
        except (AssertionError, OSError):
            continue
    assert seen["helper"] == 2, s.terminal()
    assert seen["pid"] != first["pid"]
    assert "helper.py changed; restarting the server gracefully" in s.terminal()


# ------------------------------------------------------------------ daemon mode configuration

@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_daemon_mode_configuration_accepted_by_apache(workdir, mpm):
    """The daemon-mode configuration serve will write (WSGIDaemonProcess with the options, as
    mod_wsgi-express writes it, and WSGIProcessGroup) passes apache2 -t, alone and as the whole
    generated httpd.conf."""
    from mod_wsgi_ext import cli, cliopts, serverconf
    opts = cli._parser().parse_args(
        ["serve", os.path.join(workdir, "app.wsgi"), "--processes", "3", "--threads", "7",
         "--maximum-requests", "500", "--request-timeout", "30", "--graceful-timeout", "9",
         "--startup-timeout", "11", "--queue-timeout", "12", "--python-path",
         os.path.join(workdir, "site_pkg"), "--working-directory", workdir, "--mpm", mpm,
         "--max-clients", "40"])
    cliopts.validate(opts)
    text = "\n".join(serverconf.daemon_lines(opts, "www-data", "www-data"))
    for part in ("WSGIDaemonProcess \"mod_wsgi_ext\"", "processes=3", "threads=7",
                 "maximum-requests=500", "request-timeout=30", "graceful-timeout=9",
                 "startup-timeout=11", "queue-timeout=12", 'home="%s"' % workdir,
                 'python-path="%s:%s"' % (workdir, os.path.join(workdir, "site_pkg")),
                 'user="www-data"', "WSGIProcessGroup \"mod_wsgi_ext\""):
        assert part in text
    srv = Apache("%s\n" % text, mpm=mpm)
    try:
        rc, out = srv.configtest()
        assert rc == 0, out
    finally:
        srv.cleanup()
    root = os.path.join(workdir, "daemon-root")
    os.mkdir(root, 0o755)
    conf = serverconf.httpd_conf(opts, root, cli.load_module_line(), None, True)
    assert "WSGIRestrictEmbedded On" in conf and "MaxRequestWorkers 40" in conf
    assert "process-group=\"mod_wsgi_ext\"" in conf
    write(os.path.join(root, "httpd.conf"), conf)
    write(os.path.join(root, "startup.py"), serverconf.startup_source(opts))
    p = run(["apache2", "-f", os.path.join(root, "httpd.conf"), "-t"], cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr


def test_daemon_only_options_say_they_take_effect_in_daemon_mode(workdir):
    p = run([COMMAND, "setup-server", "app.wsgi", "--embedded", "--request-timeout", "30",
             "--queue-timeout", "5", "--server-root", os.path.join(workdir, "sr")], cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert "--request-timeout takes effect in daemon mode" in p.stderr
    assert "--queue-timeout takes effect in daemon mode" in p.stderr


DAEMON_APP = '''\
import json
import os
import time

def application(environ, start_response):
    if environ["PATH_INFO"] == "/sleep":
        time.sleep(30)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"group": environ.get("mod_wsgi.process_group"), "pid": os.getpid(),
                        "ppid": os.getppid(), "cwd": os.getcwd(),
                        "multiprocess": environ["wsgi.multiprocess"],
                        "multithread": environ["wsgi.multithread"]}).encode()]
'''


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_serve_defaults_to_daemon_mode(serve, workdir, mpm):
    """issue 11: serve runs the application in a daemon process group unless --embedded."""
    write(os.path.join(workdir, "daemon.wsgi"), DAEMON_APP)
    s = serve("daemon.wsgi", "--mpm", mpm, "--processes", "2", "--threads", "3",
              "--maximum-requests", "3")
    assert "daemon mode is not available" not in s.terminal()
    seen = [s.json("/a") for _ in range(8)]
    assert {x["group"] for x in seen} == {"mod_wsgi_ext"}
    assert seen[0]["multiprocess"] is True and seen[0]["multithread"] is True
    assert seen[0]["cwd"] == workdir
    # maximum-requests=3 over 2 processes: 8 requests see more than 2 daemon processes
    assert len({x["pid"] for x in seen}) > 2
    s.stop()
    s = serve("daemon.wsgi", "--mpm", mpm, "--embedded")
    assert s.json()["group"] == ""


def test_serve_daemon_request_timeout(serve, workdir):
    write(os.path.join(workdir, "daemon.wsgi"), DAEMON_APP)
    s = serve("daemon.wsgi", "--request-timeout", "2", "--threads", "1")
    start = time.monotonic()
    status = s.get("/sleep")[0]
    assert status in (502, 503, 504) and time.monotonic() - start < 25
    assert s.json()["group"] == "mod_wsgi_ext"


# ------------------------------------------------------------------ validation and output

@pytest.mark.parametrize("args, expect", [
    (["--processes", "0"], "--processes 0: must be between 1 and 1000"),
    (["--threads", "0"], "--threads 0: must be between 1 and 1000"),
    (["--maximum-requests", "-1"], "--maximum-requests -1: must be between 0"),
    (["--https-port", "8443"], "--https-port needs --ssl-certificate-file"),
    (["--python-path", "/nonexistent-dir"], "--python-path /nonexistent-dir: no such directory"),
    (["--working-directory", "/nonexistent-dir"], "--working-directory /nonexistent-dir: no "),
    (["--document-root", "/nonexistent-dir"], "--document-root /nonexistent-dir: no such"),
    (["--include-file", "/nonexistent.conf"], "--include-file /nonexistent.conf: no such file"),
    (["--auth-user-script", "/nonexistent.py"], "--auth-user-script /nonexistent.py: no such"),
    (["--phases", "/nonexistent.py"], "--phases /nonexistent.py: no such file"),
    (["--mount-point", "app"], "--mount-point app: a URL path"),
    (["--callable-object", "not-a-name"], "--callable-object 'not-a-name' is not a Python name"),
    (["--setenv", "BAD KEY", "x"], "--setenv 'BAD KEY': not an environment variable name"),
    (["--log-directory", "/nonexistent-dir"], "--log-directory /nonexistent-dir: no such"),
    (["--application-type", "module", "--entry-point", "not a module"], "is not a module name"),
    (["--user", "no-such-user-xyz"], "--user no-such-user-xyz: no such user"),
])
def test_bad_values_refused_with_one_line(workdir, args, expect):
    root = os.path.join(workdir, "sr")
    app = [] if "--entry-point" in args else ["app.wsgi"]
    if "--user" in args and os.geteuid() != 0:
        pytest.skip("--user is only checked as root")
    p = run([COMMAND, "serve"] + app + args + ["--server-root", root], cwd=workdir)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if "takes effect" not in line]
    assert len(errors) == 1 and expect in errors[0], p.stderr
    assert not os.path.exists(root)


def test_version_and_help_show_options_and_defaults(workdir):
    p = run([COMMAND, "--version"], cwd=workdir)
    assert p.returncode == 0 and p.stdout.startswith("mod-wsgi-ext 0.")
    p = run([COMMAND, "serve", "--help"], cwd=workdir)
    text = " ".join(p.stdout.split())
    for option in ("--application-type", "--callable-object", "--mount-point", "--python-path",
                   "--working-directory", "--processes", "--threads", "--error-log",
                   "--access-log", "--log-to-terminal", "--reload-on-changes", "--embedded-mode",
                   "--server-mpm", "--https-port", "--setup-only", "--version"):
        assert option in text
    assert "--port NUMBER the port for HTTP (default: 8000)" in text
    assert "(default: event)" in text and "(default: application)" in text


def test_setup_only_and_embedded_mode_alias(workdir):
    root = os.path.join(workdir, "sr")
    p = run([COMMAND, "serve", "app.wsgi", "--setup-only", "--embedded-mode", "--server-root",
             root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert "Start it with:" in p.stdout and os.path.isfile(os.path.join(root, "apachectl"))
    assert "daemon mode" not in p.stderr


def test_serve_removes_its_own_server_root_and_keeps_a_given_one(serve, workdir):
    s = serve("app.wsgi", "--embedded")
    line = [x for x in s.terminal().splitlines() if "mod_wsgi_ext: serving" in x][0]
    root = line.split("(server root ", 1)[1].split(")", 1)[0]
    assert os.path.isdir(root) and s.get()[0] == 200
    assert s.stop() == 0
    assert not os.path.exists(root), "serve left its temporary server root behind"
    given = os.path.join(workdir, "given")
    s = serve("app.wsgi", "--embedded", "--server-root", given)
    assert s.stop() == 0
    assert os.path.isfile(os.path.join(given, "httpd.conf"))


def test_serve_port_in_use_is_one_line_and_never_says_serving(workdir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = run([COMMAND, "serve", "app.wsgi", "--embedded", "--port", str(port)], cwd=workdir)
    assert p.returncode == 2 and "serving" not in p.stderr and "Traceback" not in p.stderr
    assert "cannot listen on 127.0.0.1 port %d" % port in p.stderr


def test_serve_apache_failing_to_start_never_says_serving(workdir):
    bad = write(os.path.join(workdir, "bad.conf"), "ThisIsNotADirective on\n")
    p = run([COMMAND, "serve", "app.wsgi", "--embedded", "--port", str(free_port()),
             "--include-file", bad], cwd=workdir)
    assert p.returncode == 1 and "mod_wsgi_ext: serving" not in p.stderr
    assert "ThisIsNotADirective" in p.stderr          # Apache's own message, relayed
    assert "Apache exited with status" in p.stderr and "Traceback" not in p.stderr


# ------------------------------------------------------------------ pre-flight

@as_root
def test_preflight_follows_the_venv_symlink_into_a_private_python(workdir):
    """A venv whose bin/python links to a Python in a private directory (a pyenv Python under
    /root, say): refused before start, naming the real path and the fix."""
    private = tempfile.mkdtemp(prefix="wx-private-python-", dir="/root")
    os.chmod(private, 0o700)
    venv = os.path.join(workdir, "venv")
    try:
        real = os.path.realpath(sys._base_executable if hasattr(sys, "_base_executable")
                                else sys.executable)
        python = os.path.join(private, "python3")
        shutil.copy2(real, python)
        subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True)
        assert os.path.realpath(os.path.join(venv, "bin", "python3")) == python
        site = [p for p in sys.path if p.endswith("site-packages")][0]
        env = dict(os.environ, PYTHONPATH=site)
        p = run([os.path.join(venv, "bin", "python3"), "-m", "mod_wsgi_ext", "setup-server",
                 "app.wsgi", "--embedded", "--server-root", os.path.join(workdir, "sr")],
                cwd=workdir, env=env)
        assert p.returncode == 2, p.stdout + p.stderr
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
        assert "(really %s)" % python in p.stderr
        assert "the directory /root is not searchable by www-data" in p.stderr
        assert "/usr/bin/python3 -m venv" in p.stderr
        assert not os.path.exists(os.path.join(workdir, "sr"))
    finally:
        shutil.rmtree(private, ignore_errors=True)


# ------------------------------------------------------------------ the Django layout

def test_django_layout_of_the_docs_served_as_written(workdir):
    """docs/installing.md, "serve": a stock `django-admin startproject mysite /srv/mysite`, then
    in that folder the three commands exactly as written (here /srv is a temporary directory)."""
    srv = os.path.join(workdir, "srv")
    os.mkdir(srv, 0o755)
    admin = os.path.join(os.path.dirname(sys.executable), "django-admin")
    project = os.path.join(srv, "mysite")
    os.mkdir(project, 0o755)
    subprocess.run([admin, "startproject", "mysite", project], check=True)
    static = os.path.join(project, "static")
    write(os.path.join(static, "site.css"), "h1 { color: green }\n")
    for dirpath, dirnames, filenames in os.walk(srv):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    for args in (["mysite/wsgi.py"], ["--application-type", "module", "mysite.wsgi"],
                 ["mysite/wsgi.py", "--url-alias", "/static", static]):
        s = Served(args, project)
        try:
            status, headers, body = s.get("/admin/login/")
            assert status == 200, (status, body[:500], s.terminal())
            assert b"Django" in body and b"csrfmiddlewaretoken" in body
            assert "No module named" not in s.terminal()
            if "--url-alias" in args:
                assert s.get("/static/site.css")[2] == b"h1 { color: green }\n"
        finally:
            assert s.stop() == 0
    # "setup-server", as written (with a free port instead of 8000)
    port = free_port()
    os.mkdir(os.path.join(project, "logs"), 0o755)
    p = run([COMMAND, "setup-server", "mysite/wsgi.py", "--server-root",
             os.path.join(project, "httpd"), "--log-directory", os.path.join(project, "logs"),
             "--port", str(port)], cwd=project)
    assert p.returncode == 0, p.stderr
    ctl = os.path.join(project, "httpd", "apachectl")
    assert "Start it with:  %s start" % ctl in p.stdout
    assert run([ctl, "start"], cwd=project).returncode == 0
    try:
        deadline = time.time() + 20
        status = None
        while time.time() < deadline and status is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/admin/login/" % port,
                                            timeout=10) as resp:
                    status, body = resp.status, resp.read()
            except OSError:
                time.sleep(0.1)
        assert status == 200 and b"csrfmiddlewaretoken" in body
    finally:
        assert run([ctl, "stop"], cwd=project).returncode == 0
    with open(os.path.join(project, "logs", "access_log")) as f:
        assert '"GET /admin/login/ HTTP/1.1" 200' in f.read()


def test_ordinary_user_with_a_root_owned_terminal(workdir):
    """As an ordinary user whose stdout/stderr is a file root owns (the user may write to the
    open descriptor, not open the file again), Apache still logs to the terminal."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    pw = pwd.getpwnam("www-data")
    for dirpath, dirnames, filenames in os.walk(workdir):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), pw.pw_uid, pw.pw_gid)
    prefix = ("setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
              "--")
    s = Served(["app.wsgi", "--embedded", "--server-root", os.path.join(workdir, "sr")],
               workdir, prefix=prefix)
    try:
        assert os.stat(s.log).st_uid == 0 and s.json("/seen")["uid"] == pw.pw_uid
        deadline = time.time() + 5
        while time.time() < deadline and '"GET /seen HTTP/1.1" 200' not in s.terminal():
            time.sleep(0.1)
        assert '"GET /seen HTTP/1.1" 200' in s.terminal()
        assert "resuming normal operations" in s.terminal()
    finally:
        assert s.stop() == 0

"""The ``mod-wsgi-ext`` command line: module-config, serve (foreground, Ctrl-C stops it) and
setup-server (an apachectl script), run as a user would run them, in subprocesses.

``serve`` runs in its own session and is stopped with SIGINT to its pid, as Ctrl-C would; it
must exit and leave no Apache process behind.
"""
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from functional.server import free_port

BIN = os.path.dirname(sys.executable)
COMMAND = os.path.join(BIN, "mod-wsgi-ext")

APP = '''\
import json
import sys

def application(environ, start_response):
    keys = ("SCRIPT_NAME", "PATH_INFO", "wsgi.multithread", "wsgi.multiprocess")
    body = json.dumps(dict({k: environ[k] for k in keys}, prefix=sys.prefix)).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''


@pytest.fixture
def workdir():
    """A world-readable directory (Apache children may run as www-data) with the app in it."""
    d = tempfile.mkdtemp(prefix="wx-cli-")
    os.chmod(d, 0o755)
    with open(os.path.join(d, "app.wsgi"), "w") as f:
        f.write(APP)
    os.makedirs(os.path.join(d, "static"))
    with open(os.path.join(d, "static", "style.css"), "w") as f:
        f.write("body { color: teal }\n")
    for dirpath, dirnames, filenames in os.walk(d):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run(args, cwd, **kw):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, **kw)


def get(port, path="/"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as resp:
        return resp.status, resp.headers, resp.read()


def wait_listening(port, proc=None, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_closed(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(0.05)
        except OSError:
            return True
    return False


def wait_text(path, text, timeout=5):
    """Apache writes the access log line after the response: wait for it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return True
        time.sleep(0.05)
    return False


def session_gone(pgid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class Serving:
    """``mod-wsgi-ext serve ...`` in its own session; output collected in a file."""

    def __init__(self, workdir, *args):
        self.port = free_port()
        self.root = os.path.join(workdir, "server-root")
        self.log = os.path.join(workdir, "terminal.txt")
        self.args = [COMMAND, "serve", os.path.join(workdir, "app.wsgi"), "--port",
                     str(self.port), "--server-root", self.root] + list(args)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(self.args, cwd=workdir, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def terminal(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def interrupt(self):
        """Ctrl-C: SIGINT to the process we started; returns its exit status."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        finally:
            self.out.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


@pytest.fixture
def serve(workdir):
    started = []

    def start(*args):
        s = Serving(workdir, *args)
        started.append(s)
        assert wait_listening(s.port, s.proc), "serve did not listen:\n" + s.terminal()
        # serve says "serving" once Apache answers, which is after it starts listening
        assert wait_text(s.log, "mod_wsgi_ext: serving", timeout=30), s.terminal()
        return s

    yield start
    for s in started:
        s.kill()


# ------------------------------------------------------------------------- module-config

@pytest.mark.parametrize("argv", [[COMMAND], [sys.executable, "-m", "mod_wsgi_ext"]],
                         ids=["script", "python-m"])
def test_module_config(argv, workdir):
    p = run(argv + ["module-config"], cwd=workdir)
    assert p.returncode == 0, p.stderr
    lines = [shlex.split(line) for line in p.stdout.splitlines()]
    assert [line[0] for line in lines] == ["LoadModule", "WSGIPythonHome"]
    assert lines[0][1] == "wsgi_ext_module"
    assert os.path.isfile(lines[0][2]) and lines[0][2].endswith(".so")
    assert os.path.realpath(lines[1][1]) == os.path.realpath(sys.prefix)
    assert os.path.isdir(os.path.join(lines[1][1], "lib"))


def test_module_config_lines_load_into_apache(workdir):
    """What module-config prints is a working Apache configuration."""
    lines = run([COMMAND, "module-config"], cwd=workdir).stdout
    conf = os.path.join(workdir, "httpd.conf")
    with open(conf, "w") as f:
        f.write("ServerRoot %s\nServerName localhost\nListen 127.0.0.1:%d\n"
                "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
                "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
                "PidFile %s/httpd.pid\nErrorLog %s/error.log\n%s"
                "WSGIScriptAlias /app %s/app.wsgi\n"
                % (workdir, free_port(), workdir, workdir, lines, workdir))
    p = run(["apache2", "-f", conf, "-t"], cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Syntax OK" in p.stderr + p.stdout


# ------------------------------------------------------------------------- serve

@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_serve_and_interrupt(serve, mpm):
    s = serve("--embedded", "--mpm", mpm)
    status, headers, body = get(s.port, "/some/path")
    assert status == 200
    seen = json.loads(body)
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("", "/some/path")
    assert seen["wsgi.multithread"] is (mpm == "event")
    assert os.path.realpath(seen["prefix"]) == os.path.realpath(sys.prefix)
    assert "Apache" in headers["Server"] and "mod_wsgi_ext" in headers["Server"]
    # Apache logs to the terminal: start-up notice, and the access log line
    assert wait_text(s.log, '"GET /some/path HTTP/1.1" 200')
    out = s.terminal()
    assert "serving %s" % os.path.join(os.path.dirname(s.root), "app.wsgi") in out
    assert "resuming normal operations" in out and "mpm_%s" % mpm in out
    assert '"GET /some/path HTTP/1.1" 200' in out
    assert "OPTIONS *" not in out           # serve's readiness probe is not logged
    # Ctrl-C stops it, and nothing is left behind
    rc = s.interrupt()
    assert rc == 0, "serve did not exit cleanly on Ctrl-C: %s" % rc
    assert wait_closed(s.port)
    assert session_gone(s.proc.pid), "Apache processes left running after Ctrl-C"
    assert os.path.isfile(os.path.join(s.root, "httpd.conf"))


def test_serve_url_alias(serve, workdir):
    s = serve("--embedded", "--url-alias", "/static", os.path.join(workdir, "static"),
              "--url-alias", "/app-source.txt", os.path.join(workdir, "app.wsgi"))
    status, headers, body = get(s.port, "/static/style.css")
    assert (status, body) == (200, b"body { color: teal }\n")
    assert headers["Content-Type"] == "text/css"
    status, headers, body = get(s.port, "/app-source.txt")
    assert body == APP.encode()
    with pytest.raises(urllib.error.HTTPError) as err:
        get(s.port, "/static/missing.css")
    assert err.value.code == 404
    # everything else still reaches the application
    assert get(s.port, "/staticfoo")[0] == 200
    s.interrupt()


def test_serve_refuses_missing_alias_path(workdir):
    p = run([COMMAND, "serve", os.path.join(workdir, "app.wsgi"), "--url-alias", "/s",
             os.path.join(workdir, "nope")], cwd=workdir)
    assert p.returncode != 0
    assert "--url-alias /s %s: no such file or directory" % os.path.join(workdir, "nope") \
        in p.stderr
    assert "Traceback" not in p.stderr


def test_serve_missing_script(workdir):
    p = run([COMMAND, "serve", os.path.join(workdir, "nothere.wsgi")], cwd=workdir)
    assert p.returncode != 0
    assert "no such WSGI script: %s" % os.path.join(workdir, "nothere.wsgi") in p.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="Apache runs its children as www-data only when "
                    "started as root")
def test_serve_as_root_refuses_unreadable_app(workdir):
    private = os.path.join(workdir, "private")
    os.makedirs(private)
    os.chmod(private, 0o700)
    shutil.copy(os.path.join(workdir, "app.wsgi"), private)
    start = time.monotonic()
    p = run([COMMAND, "serve", os.path.join(private, "app.wsgi"), "--embedded", "--port",
             str(free_port()), "--server-root", os.path.join(workdir, "root")], cwd=workdir)
    assert p.returncode != 0
    assert time.monotonic() - start < 30    # it did not start a server and wait
    assert private in p.stderr and "www-data" in p.stderr
    assert "not searchable by www-data" in p.stderr
    assert "Traceback" not in p.stderr
    assert not os.path.exists(os.path.join(workdir, "root")), "wrote a server root anyway"


# ------------------------------------------------------------------------- setup-server

def test_setup_server_apachectl(workdir):
    root = os.path.join(workdir, "site")
    port = free_port()
    p = run([COMMAND, "setup-server", os.path.join(workdir, "app.wsgi"), "--embedded",
             "--port", str(port), "--server-root", root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    ctl = os.path.join(root, "apachectl")
    assert "%s start" % ctl in p.stdout and "%s stop" % ctl in p.stdout
    assert os.access(ctl, os.X_OK)
    assert run([ctl, "configtest"], cwd=workdir).returncode == 0
    p = run([ctl, "start"], cwd=workdir)
    try:
        assert p.returncode == 0, p.stdout + p.stderr
        assert wait_listening(port), "apachectl start did not start Apache"
        assert get(port, "/x")[0] == 200
        # no terminal: the logs went to files in the server root
        assert wait_text(os.path.join(root, "access_log"), '"GET /x HTTP/1.1" 200')
        assert os.path.isfile(os.path.join(root, "error_log"))
    finally:
        p = run([ctl, "stop"], cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert wait_closed(port), "apachectl stop did not stop Apache"


def test_serve_as_ordinary_user(workdir):
    """An ordinary user runs `serve`: no User/Group switch, children run as that user."""
    prefix = []
    if os.geteuid() == 0:
        # become an unprivileged user for real (setpriv is in util-linux)
        import pwd
        pw = pwd.getpwnam("www-data")
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        prefix = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                  "--clear-groups", "--"]
    s = Serving.__new__(Serving)
    s.port = free_port()
    s.root = os.path.join(workdir, "server-root")
    s.log = os.path.join(workdir, "terminal.txt")
    s.out = open(s.log, "w")
    if prefix:
        os.chown(s.log, pw.pw_uid, pw.pw_gid)   # as that user's own terminal would be
    s.proc = subprocess.Popen(prefix + [COMMAND, "serve", os.path.join(workdir, "app.wsgi"),
                                        "--embedded", "--port", str(s.port), "--server-root",
                                        s.root], cwd=workdir, stdout=s.out,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_listening(s.port, s.proc), "serve did not listen:\n" + s.terminal()
        status, headers, body = get(s.port, "/x")
        assert status == 200 and json.loads(body)["PATH_INFO"] == "/x"
        with open(os.path.join(s.root, "httpd.conf")) as f:
            conf = f.read()
        assert "\nUser " not in conf, "an ordinary user's server must not switch users"
        with open(os.path.join(s.root, "httpd.pid")) as f:
            parent = int(f.read())
        assert os.stat("/proc/%d" % parent).st_uid == os.stat(s.root).st_uid
        assert s.interrupt() == 0
        assert session_gone(s.proc.pid)
    finally:
        s.kill()

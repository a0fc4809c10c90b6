"""A site written by `mod_wsgi-express setup-server --embedded-mode` answers the same with its
`LoadModule` and `WSGIPythonHome` lines swapped for ours as it does under mod_wsgi 6 itself
(docs/migrating-from-mod_wsgi.md, "Moving a mod_wsgi-express site").  Its handler.wsgi imports
`mod_wsgi.express.runtime` from the installed mod_wsgi distribution."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from functional.server import APPS, free_port

EXPRESS = os.path.join(os.path.dirname(sys.executable), "mod_wsgi-express")
MOD_WSGI_EXT = os.path.join(os.path.dirname(sys.executable), "mod-wsgi-ext")
ENV = dict(os.environ, WSGI_RUN_USER="www-data", WSGI_RUN_GROUP="www-data")


def swap(conf):
    """Replace mod_wsgi's LoadModule and WSGIPythonHome lines with `mod-wsgi-ext module-config`'s."""
    lines = subprocess.run([MOD_WSGI_EXT, "module-config"], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    with open(conf) as f:
        text = f.read()
    for prefix, pattern in (("LoadModule", r"(?m)^LoadModule wsgi_module .*$"),
                            ("WSGIPythonHome", r"(?m)^WSGIPythonHome .*$")):
        line = [ln for ln in lines if ln.startswith(prefix)][0]
        text, n = re.subn(pattern, lambda m: line, text)
        assert n == 1, prefix
    with open(conf, "w") as f:
        f.write(text)


class ExpressSite:
    def __init__(self, base, name, entry, module):
        self.port = free_port()
        self.root = os.path.join(base, name)
        args = [EXPRESS, "setup-server", entry, "--server-root", self.root, "--port",
                str(self.port), "--host", "127.0.0.1", "--embedded-mode", "--log-level", "info"]
        if os.geteuid() == 0:
            args += ["--user", "www-data", "--group", "www-data"]
        subprocess.run(args, check=True, capture_output=True, env=ENV)
        if module == "mod_wsgi_ext":
            swap(os.path.join(self.root, "httpd.conf"))
        self.pid = None

    def start(self):
        ctl = os.path.join(self.root, "apachectl")
        proc = subprocess.Popen([ctl, "start"], env=ENV, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc.wait(30)
        pidfile = os.path.join(self.root, "httpd.pid")
        for _ in range(400):
            if os.path.exists(pidfile):
                with open(pidfile) as f:
                    text = f.read().strip()
                if text:
                    self.pid = int(text)
                    break
            time.sleep(0.05)
        assert self.pid, "Apache did not start:\n" + self.log()
        for _ in range(200):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, timeout=10).close()
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("no answer on port %d:\n%s" % (self.port, self.log()))

    def stop(self):
        if self.pid:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(300):
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            self.pid = None

    def log(self):
        try:
            with open(os.path.join(self.root, "error_log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def get(self, path, data=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data)
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                answer = resp.status, resp.headers.get("Content-Type"), resp.read()
        except urllib.error.HTTPError as err:
            answer = err.code, err.headers.get("Content-Type"), err.read()
        return answer[:2] + (answer[2].replace(b":%d" % self.port, b":{port}"),)


SITES = {
    "hello": ("hello.wsgi", [("/", None), ("/anything/below", None)]),
    "flask": ("flaskapp/shop.wsgi", [("/hello/alice", None), ("/items/3", None),
                                     ("/items/3/buy", b"qty=2"), ("/where", None),
                                     ("/old", None), ("/stream?n=3&tag=x", None),
                                     ("/no/such/page", None)]),
}


@pytest.mark.parametrize("site", sorted(SITES))
def test_express_site_answers_like_mod_wsgi(site):
    entry, requests = SITES[site]
    base = tempfile.mkdtemp(prefix="wx-express-site-")
    os.chmod(base, 0o755)
    apps = os.path.join(base, "apps")
    shutil.copytree(APPS, apps)
    for dirpath, _dirs, files in os.walk(base):
        os.chmod(dirpath, 0o755)
        for fn in files:
            os.chmod(os.path.join(dirpath, fn), 0o644)
    theirs = ExpressSite(base, "theirs", os.path.join(apps, entry), "mod_wsgi")
    ours = ExpressSite(base, "ours", os.path.join(apps, entry), "mod_wsgi_ext")
    try:
        theirs.start()
        answers = {path: theirs.get(path, data) for path, data in requests}
        theirs.stop()
        ours.start()
        for path, data in requests:
            mine = ours.get(path, data)
            assert mine == answers[path], (path, mine, answers[path], ours.log()[-3000:])
        assert all(status < 500 for status, _, _ in answers.values())
        log = ours.log()
        assert "Traceback" not in log, log[-3000:]
    finally:
        theirs.stop()
        ours.stop()
        if not os.environ.get("WX_KEEP"):
            shutil.rmtree(base, ignore_errors=True)

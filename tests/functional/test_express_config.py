"""A configuration written by `mod_wsgi-express setup-server` starts after swapping its LoadModule
line (spec §3), and a request for its daemon group gets a prompt 500 with a log line that says why
(daemon mode is not in this version)."""
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

from functional.server import free_port, module_line


def test_mod_wsgi_express_setup_server_config_starts():
    express = os.path.join(os.path.dirname(sys.executable), "mod_wsgi-express")
    root = tempfile.mkdtemp(prefix="wx-express-")
    os.chmod(root, 0o755)
    app = os.path.join(root, "app.wsgi")
    with open(app, "w") as f:
        f.write("def application(environ, start_response):\n"
                "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
                "    return [b'ok']\n")
    os.chmod(app, 0o644)
    port = free_port()
    server_root = os.path.join(root, "srv")
    subprocess.run([express, "setup-server", app, "--server-root", server_root, "--port",
                    str(port), "--host", "127.0.0.1"], check=True, capture_output=True)
    conf = os.path.join(server_root, "httpd.conf")
    with open(conf) as f:
        text = f.read()
    assert "WSGIDaemonProcess" in text
    text, n = re.subn(r"(?m)^LoadModule wsgi_module .*$", module_line("mod_wsgi_ext"), text)
    assert n == 1
    with open(conf, "w") as f:
        f.write(text)
    env = dict(os.environ, WSGI_RUN_USER="www-data", WSGI_RUN_GROUP="www-data")
    ctl = os.path.join(server_root, "apachectl")
    check = subprocess.run([ctl, "configtest"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    proc = subprocess.Popen([ctl, "start"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait(20)
    pidfile = os.path.join(server_root, "httpd.pid")
    try:
        for _ in range(200):
            if os.path.exists(pidfile):
                break
            time.sleep(0.05)
        assert os.path.exists(pidfile), "Apache did not start with the express configuration"
        status = body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as f:
                    status, body = f.status, f.read()
                break
            except urllib.error.HTTPError as e:
                status = e.code
                break
            except OSError:
                time.sleep(0.05)
        with open(os.path.join(server_root, "error_log")) as f:
            log = f.read()
        # express's configuration runs the application in a daemon process group
        assert (status, body) == (200, b"ok"), log
        assert "WSGIDaemonProcess is accepted" not in log
    finally:
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(200):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if not os.environ.get("WX_KEEP"):
            shutil.rmtree(root, ignore_errors=True)

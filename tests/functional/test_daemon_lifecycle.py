"""Daemon mode: preloading with WSGIImportScript, script reloading by replacing the process,
restart-interval, chunked request bodies, and a Flask application in a daemon group."""
import http.client
import os
import re
import shutil
import time

import pytest
import requests


def pid_of(text):
    return int(re.search(r"pid=(\d+)", text).group(1))


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_import_script_runs_in_the_daemon_before_its_first_request(apache, mpm):
    srv = apache("WSGIDaemonProcess g threads=2\n"
                 "WSGIImportScript {root}/apps/daemon/preload_marker.py process-group=g "
                 "application-group=%{GLOBAL}\n"
                 "WSGIScriptAlias /p {root}/apps/daemon/preloaded.wsgi process-group=g "
                 "application-group=%{GLOBAL}\n", mpm=mpm)
    r = requests.get(srv.url("/p"))
    assert r.status_code == 200
    assert "preloaded=%d" % pid_of(r.text) in r.text


def test_changed_script_replaces_the_daemon_process_without_failing(apache):
    srv = apache("WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /r {root}/reload.wsgi process-group=g\n")
    path = os.path.join(srv.root, "reload.wsgi")
    src = ("import os\ndef application(environ, start_response):\n"
           "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
           "    return [b'version=%s pid=%%d' %% os.getpid()]\n")
    with open(path, "w") as f:
        f.write(src % "1")
    os.chmod(path, 0o644)
    r1 = requests.get(srv.url("/r"))
    assert r1.text.startswith("version=1")
    with open(path, "w") as f:
        f.write(src % "2")
    st = os.stat(path)
    os.utime(path, (st.st_atime, st.st_mtime + 5))
    r2 = requests.get(srv.url("/r"), timeout=20)
    assert r2.status_code == 200 and r2.text.startswith("version=2")
    assert pid_of(r2.text) != pid_of(r1.text)
    assert srv.wait_log("changed; restarting the daemon process")


def test_restart_interval_replaces_the_process(apache):
    srv = apache("WSGIDaemonProcess g threads=2 restart-interval=1\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n")
    first = pid_of(requests.get(srv.url("/app/")).text)
    assert srv.wait_log("retiring (restart-interval=1s)", timeout=6)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = requests.get(srv.url("/app/"))
        assert r.status_code == 200
        if pid_of(r.text) != first:
            break
        time.sleep(0.2)
    assert pid_of(r.text) != first


def test_chunked_request_body_with_wsgichunkedrequest_on(apache):
    srv = apache("WSGIDaemonProcess g threads=2\n"
                 "WSGIChunkedRequest On\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    blocks = [os.urandom(70000) for _ in range(20)]
    conn.request("POST", "/app/count", body=iter(blocks), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    assert (resp.status, resp.read()) == (200, str(sum(map(len, blocks))).encode())


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_flask_application_in_a_daemon_group(apache, mpm):
    srv = apache("WSGIDaemonProcess shop threads=4\n"
                 "WSGIScriptAlias /shop {root}/apps/flaskapp/shop.wsgi process-group=shop\n",
                 mpm=mpm)
    r = requests.get(srv.url("/shop/hello/Ada"))
    assert (r.status_code, r.text) == (200, "Hello, Ada!")
    r = requests.get(srv.url("/shop/where"), params={"q": "x y"})
    assert r.json()["script_root"] == "/shop"
    payload = {"name": "kettle", "note": "ünïcode"}
    r = requests.post(srv.url("/shop/api/echo"), json=payload)
    assert r.status_code == 201


def test_startup_timeout_restarts_a_process_stuck_in_preloading(apache):
    srv = apache("WSGIDaemonProcess g threads=2 startup-timeout=1\n"
                 "WSGIImportScript {root}/apps/daemon/slow_import.py process-group=g "
                 "application-group=%{GLOBAL}\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n")
    assert srv.wait_log("Timeout (0:00:01)!", timeout=10)
    assert srv.wait_log("slow_import.py", timeout=5)     # where it was stuck
    assert srv.wait_log("of group 'g'", timeout=5)
    assert srv.wait_log("exited with status 1; starting a new one", timeout=10)


def test_deadlock_timeout_restarts_a_process_whose_gil_is_stuck(apache):
    srv = apache("WSGIDaemonProcess g threads=2 deadlock-timeout=1\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n")
    first = pid_of(requests.get(srv.url("/app/")).text)
    r = requests.get(srv.url("/app/hold-gil?20"), timeout=30)
    assert r.status_code == 502
    assert srv.wait_log("Timeout (0:00:01)!")
    assert srv.wait_log("(pid %d) of group 'g' went away while running" % first)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = requests.get(srv.url("/app/"))
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and pid_of(r.text) != first

"""Issue 9, item 5: stopping Apache under load never hangs a child, and Python's shutdown
(callbacks, atexit) never runs inside prefork's SIGTERM handler.

Each round starts a fresh server, keeps it busy from several client threads, stops it with
SIGTERM and checks that every child left on its own (Apache logs AH00045/AH00046 when it has to
signal a child again or kill it) and where the shutdown callbacks ran.
"""
import os
import re
import signal
import threading
import time

import pytest
import requests

CONF = """
WSGIImportScript {root}/apps/hardening/stopper.wsgi process-group=%{GLOBAL} application-group=%{GLOBAL}
WSGIScriptAlias / {root}/apps/hardening/stopper.wsgi application-group=%{GLOBAL}
"""


def hammer(srv, stop):
    s = requests.Session()
    while not stop.is_set():
        try:
            s.get(srv.url("/"), timeout=5)
        except requests.RequestException:
            s = requests.Session()


def served(srv):
    try:
        with open(os.path.join(srv.root, "access.log")) as f:
            return f.read()
    except OSError:
        return ""


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_stop_under_load_does_not_hang_or_run_python_in_a_signal_handler(apache, mpm):
    for _ in range(3):
        # prefork: more children than clients, so that idle and busy children are stopped
        srv = apache(CONF, mpm=mpm, start=False, processes=3 if mpm == "prefork" else 2)
        marks = os.path.join(srv.root, "marks")
        os.makedirs(marks)
        os.chmod(marks, 0o777)
        srv.start()
        stop = threading.Event()
        clients = [threading.Thread(target=hammer, args=(srv, stop))
                   for _ in range(2 if mpm == "prefork" else 4)]
        for c in clients:
            c.start()
        try:
            deadline = time.time() + 10
            while time.time() < deadline and "GET / " not in served(srv):
                time.sleep(0.05)
            time.sleep(0.5)
            srv.proc.send_signal(signal.SIGTERM)
            srv.proc.wait(30)             # Apache kills a stuck child itself after ~10 s
        finally:
            stop.set()
            for c in clients:
                c.join(10)
        log = srv.log()
        assert not re.search(r"AH0004[56]", log), log[-3000:]     # had to signal or kill a child
        assert "Segmentation fault" not in log
        recorded = []
        loaded = [n[:-7] for n in os.listdir(marks) if n.endswith(".loaded")]
        for pid in loaded:
            # every child ran its callbacks, or was stopped inside a request and says so
            if os.path.exists(os.path.join(marks, pid)):
                with open(os.path.join(marks, pid)) as f:
                    recorded += f.read().splitlines()
            else:
                assert ("mod_wsgi_ext (pid=%s): process stopped in the middle of a request" % pid
                        in log), (pid, log[-3000:])
        assert loaded and recorded, "no shutdown callback ran: %s" % log[-3000:]
        if mpm == "prefork":
            # on the main thread with SIGTERM blocked means: inside just_die()
            assert "shutdown main_thread=1 sigterm_blocked=1" not in recorded, recorded
        srv.cleanup()

"""The README's first command, run the way a newcomer runs it (issue 7): a copy of the repository
in a private directory under /root (mode 0700, the usual place for a clone), then
``./scripts/serve-example``. It must serve the example, not refuse because Apache's children
cannot read the source tree.

The copy is of this working tree (what is being tested); ``MOD_WSGI_EXT_VENV`` points bootstrap
at the environment running the tests, which it reinstalls from the same sources.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from functional.server import free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           check=True, capture_output=True).stdout.split(b"\0")
    for name in filter(None, files):
        src = os.path.join(REPO.encode(), name)
        if not os.path.isfile(src):
            continue
        target = os.path.join(dst.encode(), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target)


@pytest.mark.skipif(os.geteuid() != 0, reason="the trap is a clone under /root served as root")
def test_serve_example_from_a_private_clone_under_root():
    home = tempfile.mkdtemp(prefix="wx-newcomer-", dir="/root")
    os.chmod(home, 0o700)
    clone = os.path.join(home, "mod_wsgi_ext")
    copy_tree(clone)
    port = free_port()
    log = os.path.join(home, "terminal.txt")
    env = dict(os.environ, PORT=str(port), MOD_WSGI_EXT_VENV=sys.prefix)
    with open(log, "wb") as out:
        proc = subprocess.Popen(["./scripts/serve-example"], cwd=clone, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 300          # bootstrap rebuilds the module
        text = ""
        while time.time() < deadline and proc.poll() is None:
            with open(log, errors="replace") as f:
                text = f.read()
            if "serving" in text:
                break
            time.sleep(0.2)
        with open(log, errors="replace") as f:
            text = f.read()
        assert "serving" in text, "serve-example did not serve:\n" + text
        assert "refus" not in text and "Traceback" not in text, text
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as resp:
            body = resp.read().decode()
        assert resp.status == 200 and body.startswith("Hello from mod_wsgi_ext!")
        # the example came from the installed package, not from the private source tree
        assert clone not in text.split("serving", 1)[1].splitlines()[0]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(home, ignore_errors=True)
    assert proc.returncode == 0

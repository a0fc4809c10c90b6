"""The `mod_wsgi` module that code written for mod_wsgi imports is there, with its meaning."""
import json
import os
import tempfile
import urllib.request

import pytest


@pytest.mark.parametrize("mpm,threads", [("prefork", 1), ("event", 6)])
def test_mod_wsgi_module_and_shutdown_subscription(apache, mpm, threads):
    markers = tempfile.mkdtemp(prefix="wx-markers-")
    os.chmod(markers, 0o777)
    srv = apache("SetEnv MARKER_DIR %s\nWSGIScriptAlias /c {root}/apps/compat.wsgi "
                 "application-group=%%{GLOBAL}\n" % markers, mpm=mpm, threads=threads,
                 processes=1)
    with urllib.request.urlopen(srv.url("/c")) as resp:
        info = json.loads(resp.read())
    assert info["process_group"] == ""
    assert info["application_group"] == ""
    assert info["threads_per_process"] == threads
    srv.stop()
    path = os.path.join(markers, "shutdown-%d" % info["pid"])
    assert os.path.exists(path), "the shutdown subscriber did not run when the child exited"
    with open(path) as f:
        record = json.load(f)
    assert record["event"] == "process_stopping"
    assert "shutdown_reason" in record["details"]

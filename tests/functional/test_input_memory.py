"""Issue 9, item 5a: wsgi.input holds one copy of what the application asked for, plus a bounded
read-ahead buffer.  A fresh child (its peak RSS not yet raised by anything else) reads a 100 MB
body without newlines with read(), read(n), readline() and readlines(); the child's VmHWM after
the call, less its VmRSS before, must stay under 1.5 copies of the body plus 24 MB of slack (the
old stream took about 2 copies for read() and 3 for readline())."""
import pytest
import requests

BODY = 100 * 1024 * 1024
CONF = "WSGIScriptAlias /mem {root}/apps/hardening/bodymem.wsgi\n"


@pytest.mark.parametrize("how", ["read", "read-n", "readline", "readlines"])
@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_peak_memory_of_reading_a_large_body(apache, mpm, how):
    srv = apache(CONF, mpm=mpm, processes=1)
    r = requests.post(srv.url("/mem?how=" + how), data=b"x" * BODY, timeout=120)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["length"] == BODY
    grown_mb = (d["hwm_after"] - d["rss_before"]) / 1024
    assert grown_mb < 1.5 * BODY / 2**20 + 24, "peak grew by %.0f MB for a %d MB body" % (
        grown_mb, BODY // 2**20)

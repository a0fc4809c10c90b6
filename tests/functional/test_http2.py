"""HTTP/2 (mod_http2, cleartext h2c): requests run on mod_http2's worker threads, which come and go.

MPM worker threads live as long as their child, but mod_http2 starts workers under load and ends
idle ones (H2MaxWorkerIdleSeconds).  Every thread that ran Python keeps a thread state in each
interpreter it entered; when the thread ends, they must go too, or each burst of HTTP/2 traffic
leaves a few more behind for good.  The load comes from h2load (Debian's nghttp2-client).
"""
import re
import shutil
import subprocess
import time

import pytest
import requests

from functional.conftest import module_server
from functional.server import MODDIR

THREADS, H2_MAX = 4, 8
CONF = """
LoadModule http2_module %s/mod_http2.so
Protocols h2c http/1.1
H2MinWorkers 2
H2MaxWorkers %d
H2MaxWorkerIdleSeconds 1
WSGIScriptAlias /main {root}/apps/stress.wsgi application-group=%%{GLOBAL}
WSGIScriptAlias /sub {root}/apps/stress.wsgi application-group=sub
""" % (MODDIR, H2_MAX)

pytestmark = pytest.mark.skipif(shutil.which("h2load") is None,
                                reason="h2load is not installed (apt-get install nghttp2-client)")


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, CONF, mpm="event", processes=1, threads=THREADS)


def thread_states(srv, path):
    resp = requests.get(srv.url(path + "?tstates=1"), timeout=10)
    assert resp.status_code == 200, resp.text
    return int(re.fullmatch(r"tstates=(\d+)", resp.text).group(1))


def test_thread_states_of_ended_http2_workers_are_released(srv):
    for _ in range(3):
        for path in ("/main", "/sub"):
            out = subprocess.run(["h2load", "-n", "240", "-c", "2", "-m", "24",
                                  srv.url(path + "?local=1")],
                                 capture_output=True, text=True, timeout=60).stdout
            assert re.search(r"\b240 succeeded", out), out
        time.sleep(1.8)      # the workers started for the burst go idle and end
    # at most one per live thread (MPM workers, mod_http2 workers, the child's main thread) and a
    # sub-interpreter's parked first one; without the release each burst adds about six
    bound = THREADS + H2_MAX + 2
    for path in ("/main", "/sub"):
        assert thread_states(srv, path) <= bound
    crashes = [line for line in srv.log().splitlines()
               if "Fatal Python error" in line or "exit signal" in line]
    assert not crashes, crashes

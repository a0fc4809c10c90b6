"""What the embedded Python is told about its process: Apache owns the signals (Python installed
no handler of its own), and wsgi.multithread / wsgi.multiprocess follow the MPM configuration."""
import time

import pytest
import requests

CONF = "WSGIScriptAlias /pm {root}/apps/process_model.wsgi application-group=%{GLOBAL}\n"


@pytest.mark.parametrize("mpm, processes, threads, multithread, multiprocess", [
    ("prefork", 2, None, False, True),
    ("event", 2, 4, True, True),
    ("event", 1, 4, True, False),      # one child with threads: not multiprocess
])
def test_process_model_and_signals(apache, mpm, processes, threads, multithread, multiprocess):
    srv = apache(CONF, mpm=mpm, processes=processes, threads=threads)
    info = requests.get(srv.url("/pm"), timeout=10).json()
    assert info["multithread"] is multithread
    assert info["multiprocess"] is multiprocess
    # Python started with install_signal_handlers = 0: its KeyboardInterrupt handler is absent
    assert info["python_sigint_handler"] is False, info["handlers"]
    # and Apache's own signal handling still works: a graceful restart keeps serving
    srv.graceful()
    deadline = time.time() + 10
    while srv.log().count("resuming normal operations") < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert srv.log().count("resuming normal operations") == 2
    assert requests.get(srv.url("/pm"), timeout=10).status_code == 200

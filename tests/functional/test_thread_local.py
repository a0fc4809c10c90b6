"""threading.local() data survives between requests served by the same thread (as in mod_wsgi).

Frameworks keep per-thread state there (Django's database connections, for one).  Under the event
MPM the worker threads are not started by Python; their thread state must live as long as the
thread, in the main interpreter (%{GLOBAL}) as in sub-interpreters.
"""
import urllib.request

import pytest

from functional.conftest import module_server

PROCESSES, THREADS, REQUESTS = 2, 4, 24


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, (
        "WSGIScriptAlias /global {root}/apps/thread_local.wsgi application-group=%{GLOBAL}\n"
        "WSGIScriptAlias /sub {root}/apps/thread_local.wsgi application-group=sub\n"),
        mpm="event", processes=PROCESSES, threads=THREADS)


@pytest.mark.parametrize("path", ["/global", "/sub"])
def test_thread_local_survives_between_requests(srv, path):
    counts = []
    for _ in range(REQUESTS):
        with urllib.request.urlopen(srv.url(path)) as resp:
            counts.append(int(resp.read()))
    # 24 requests over at most 8 threads: some thread served at least 3 of them
    assert max(counts) >= REQUESTS // (PROCESSES * THREADS)

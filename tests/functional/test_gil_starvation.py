"""A CPU-bound thread of an application in a sub-interpreter must not hang the child.

Python 3.11 asks the GIL's holder to let it go through the waiting thread's interpreter.  Request
threads used to wait for the GIL under the main interpreter's thread state and then switch to the
sub-interpreter's, so a thread of the sub-interpreter that never blocks was never asked, kept the
GIL for good, and every later request of the process hung (prefork: the child's one thread; mod_wsgi
6 answers).  A thread now waits under the thread state of the sub-interpreter it entered last.

Not covered (still hangs, see docs/embedded-mode.md): a request thread entering the
sub-interpreter for the first time, and one in another interpreter than the spinning thread's --
under the event MPM a request may land on such a thread.
"""
import pytest
import requests

from functional.conftest import module_server

CONF = """
WSGIScriptAlias /app {root}/apps/spin.wsgi application-group=spinning
"""


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, CONF, mpm="prefork", processes=1)


def test_a_spinning_thread_does_not_hang_its_own_groups_requests(srv):
    assert requests.get(srv.url("/app/hello"), timeout=10).text == "hello\n"
    assert requests.get(srv.url("/app/spin"), timeout=10).text == "hello\n"
    for _ in range(3):
        resp = requests.get(srv.url("/app/hello"), timeout=15)
        assert resp.status_code == 200 and resp.text == "hello\n"

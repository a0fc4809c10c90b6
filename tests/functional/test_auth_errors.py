"""What the error log says when an auth script misbehaves, in a real Apache (the differential
table compares statuses; this checks the log a user reads to find the bug).

An exception in any of the four functions is a 500 with the script's traceback; a return value
of the wrong kind is answered as mod_wsgi answers it and logged with what was expected.
"""
import pytest
import requests
from requests.auth import HTTPDigestAuth

from functional import authconf
from functional.server import Apache


@pytest.fixture(scope="module")
def srv(request):
    srv = authconf.prepare(Apache(authconf.site_conf(), modules=authconf.MODULES))
    request.addfinalizer(srv.cleanup)
    return srv.start()


def _get(srv, path, auth=None):
    return requests.get(srv.url(path), auth=auth, timeout=10)


@pytest.mark.parametrize("path, auth, function", [
    ("/basic", ("boom", "secret"), "check_password"),
    ("/digest", HTTPDigestAuth("boom", "secret"), "get_realm_hash"),
    ("/group", ("gina", "secret"), "groups_for_user"),
    ("/access?boom", None, "allow_access"),
])
def test_an_exception_is_a_500_with_the_scripts_traceback(srv, path, auth, function):
    resp = _get(srv, path, auth)
    assert resp.status_code == 500
    assert "Traceback" not in resp.text and "failed on purpose" not in resp.text
    message = "RuntimeError: %s failed on purpose" % function
    assert srv.wait_log(message)
    log = srv.log()
    before = log[:log.index(message)]
    assert "Traceback (most recent call last):" in before
    assert "in %s" % function in before and 'all.py", line' in before
    # and the server keeps serving
    assert _get(srv, "/basic", ("alice", "secret")).status_code == 200


def test_an_iterator_failing_part_way_is_a_500_with_its_traceback(srv):
    assert _get(srv, "/group", ("judy", "secret")).status_code == 500
    assert srv.wait_log("RuntimeError: groups iterator failed on purpose")
    assert "in _then_fail" in srv.log()


@pytest.mark.parametrize("path, auth, status, logged", [
    ("/basic", ("number", "secret"), 500,
     "check_password in '%s/apps/auth/all.py' must return True, False, None or a user name as "
     "str, not int."),
    ("/basic", ("empty", "secret"), 500, "check_password in '%s/apps/auth/all.py' returned an "
                                         "empty user name."),
    ("/digest", HTTPDigestAuth("number", "secret"), 500,
     "get_realm_hash in '%s/apps/auth/all.py' must return None or the hash as str or bytes, "
     "not int."),
    ("/group", ("dave", "secret"), 401,
     "groups_for_user in '%s/apps/auth/all.py' returned int, which is not iterable"),
    ("/group", ("erin", "secret"), 401,
     "a group name returned by groups_for_user in '%s/apps/auth/all.py' is int, not str or "
     "bytes."),
    ("/access?number", None, 403,
     "allow_access in '%s/apps/auth/all.py' must return True, False or None, not int."),
])
def test_a_wrong_kind_of_answer_is_logged(srv, path, auth, status, logged):
    assert _get(srv, path, auth).status_code == status
    assert srv.wait_log(logged % srv.root), srv.log()[-3000:]

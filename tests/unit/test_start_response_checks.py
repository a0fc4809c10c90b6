"""start_response keeps refusing bad status lines and headers after it has seen good ones.

(Status lines and header names that passed once are remembered, so that the regular expressions
do not run on every request; this checks the shortcut never lets a bad one through.)
"""
import pytest

from mod_wsgi_ext.wsgi import response


def start(status, headers):
    resp = response.Response(sink=None)
    resp.start_response(status, headers)
    return resp


def test_remembered_status_and_names_still_checked():
    for _ in range(3):
        resp = start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
        assert (resp.code, resp.length) == (200, 12)
    with pytest.raises(ValueError):
        start("200 OK\r\nX: y", [])
    with pytest.raises(ValueError):
        start("2000 OK", [])
    with pytest.raises(ValueError):
        start("200 OK", [("Content Type", "text/plain")])
    with pytest.raises(ValueError):
        start("200 OK", [("Content-Type", "text/plain\r\nX-Injected: 1")])
    with pytest.raises(ValueError):
        start("200 OK", [("Content-Length", "-1")])
    assert start("200 OK", [("content-length", "5")]).length == 5


def test_remembered_names_are_bounded():
    for i in range(response._VALID_MAX + 50):
        start("299 Custom %d" % i, [("X-Custom-%d" % i, "v")])
    assert len(response._valid_names) <= response._VALID_MAX
    assert len(response._valid_status) <= response._VALID_MAX

"""Misbehaving applications against a real Apache: what reaches the client, and that nothing
escapes into the C handler (which would answer an error status after the response was sent, and
Apache would append its error page to the body).

Each check sends the request followed by a second, pipelined one on the same connection: a
response that was cut must close the connection (the second is never answered), and a complete
200 must leave it usable (the second is answered).
"""
import http.client
import io

import pytest

from functional.conftest import module_server

CONF = """
WSGIScriptAlias /robust {root}/apps/robust.wsgi application-group=robust
WSGIScriptAlias /sabotage {root}/apps/robust.wsgi application-group=sabotage
"""
NEXT = b"GET /robust HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, CONF, processes=1)


class _Stream(io.BytesIO):
    def close(self):    # HTTPResponse closes its file at the end of each response
        pass


def pipelined(srv, path):
    """[(status, body, or the IncompleteRead that cut it)] for the answers to GET path and a
    pipelined GET /robust, and the raw bytes."""
    data, _ = srv.raw(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode() + NEXT)
    stream = _Stream(data)
    fake = type("FakeSocket", (), {"makefile": lambda self, *a, **k: stream})()
    answers = []
    while stream.tell() < len(data):
        resp = http.client.HTTPResponse(fake)
        resp.begin()
        try:
            answers.append((resp.status, resp.read()))
        except http.client.IncompleteRead as e:
            answers.append((resp.status, e))
            break
    return answers, data


FINE = (200, b"fine\n")


def test_system_exit_in_close_after_a_complete_body(srv):
    answers, data = pipelined(srv, "/robust?close-exit")
    assert answers == [(200, b"complete body\n"), FINE], data
    assert srv.wait_log("SystemExit: 3")
    assert "exception in the request dispatcher" not in srv.log()


def test_exception_text_with_nul_and_surrogate_before_the_headers(srv):
    answers, data = pipelined(srv, "/robust?odd-text-before")
    assert answers[0][0] == 500, data       # (Apache closes the connection after a 500)
    assert srv.wait_log("RuntimeError: odd")
    assert "exception in the request dispatcher" not in srv.log()


def test_exception_text_with_nul_and_surrogate_after_the_headers(srv):
    answers, data = pipelined(srv, "/robust?odd-text-after")
    assert len(answers) == 1 and answers[0][0] == 200, data
    assert isinstance(answers[0][1], http.client.IncompleteRead), data
    assert answers[0][1].partial == b"partial body\n"
    assert srv.wait_log("RuntimeError: odd")
    assert "exception in the request dispatcher" not in srv.log()


def test_logging_odd_text_does_not_fail_the_request(srv):
    answers, data = pipelined(srv, "/robust?odd-log")
    assert answers == [(200, b"logged\n"), FINE], data
    assert srv.wait_log("wsgi.errors: odd")
    assert srv.wait_log("stdout: odd")


def test_content_length_python_reads_differently_from_apache_is_refused(srv):
    answers, data = pipelined(srv, "/robust?length-underscore")
    assert answers[0][0] == 500, data       # (Apache closes the connection after a 500)
    assert srv.wait_log("invalid Content-Length '1_000'")


def test_a_failing_dispatcher_after_the_response_ends_it_as_broken(srv):
    """Should anything escape the Python dispatcher once the response is under way, the client
    never gets Apache's 500 page after the body: the connection ends with the response."""
    answers, data = pipelined(srv, "/sabotage?sabotage")
    assert answers == [(200, b"complete body\n")], data
    assert b"Internal Server Error" not in data
    assert srv.wait_log("ended as broken instead of answering 500")

"""mod_wsgi_ext/wsgi/response.py against a fake sink: start_response, writing, close, file_wrapper."""
import io
import os
import sys

import pytest

OK = 0


def simple(body, status="200 OK", headers=None):
    def app(environ, start_response):
        start_response(status, list(headers or [("Content-Type", "text/plain")]))
        return body
    return app


class Closing:
    """An iterable that records whether close() ran and how many items were taken."""

    def __init__(self, items, fail_at=None):
        self.items, self.fail_at, self.taken, self.closed = items, fail_at, 0, False

    def __iter__(self):
        for i, item in enumerate(self.items):
            if i == self.fail_at:
                raise RuntimeError("failed in iteration")
            self.taken += 1
            yield item

    def close(self):
        self.closed = True


# ------------------------------------------------------------------ normal responses

def test_list_gets_content_length_and_is_not_flushed_per_item(response, sink):
    assert response.run(simple([b"ab", b"", b"cde"]), {}, sink) == OK
    assert sink.head[:2] == (200, "OK")
    assert sink.header("Content-Length") == "5"
    assert sink.body == b"abcde"
    assert all(not flush for _, flush in sink.writes)
    assert not sink.aborts


def test_empty_list_is_an_empty_body_with_content_length_0(response, sink):
    assert response.run(simple([]), {}, sink) == OK
    assert sink.head[0] == 200 and sink.header("Content-Length") == "0"
    assert sink.body == b""


def test_tuple_is_a_sequence_too(response, sink):
    response.run(simple((b"a", b"b")), {}, sink)
    assert (sink.header("Content-Length"), sink.body) == ("2", b"ab")


def test_generator_blocks_are_flushed_without_content_length(response, sink):
    response.run(simple(b"%d" % i for i in range(3)), {}, sink)
    assert sink.writes == [(b"0", True), (b"1", True), (b"2", True)]
    assert sink.header("Content-Length") is None


def test_app_content_length_is_kept(response, sink):
    response.run(simple([b"abc"], headers=[("content-length", "3")]), {}, sink)
    assert [h for h in sink.head[2] if h[0].lower() == "content-length"] == [("content-length",
                                                                              "3")]


def test_the_applications_header_list_is_not_changed(response, make_sink, tmp_path):
    shared = [("Content-Type", "text/plain")]       # a module-level list reused by every request

    def app_for(body):
        def app(environ, start_response):
            start_response("200 OK", shared)
            return body() if callable(body) else body
        return app

    path = tmp_path / "f"
    path.write_bytes(b"12345")
    for body, length in (([b"one"], "3"), ([b"three"], "5"),
                         (lambda: response.FileWrapper(open(path, "rb")), "5")):
        sink = make_sink()
        response.run(app_for(body), {}, sink)
        assert [v for k, v in sink.head[2] if k == "Content-Length"] == [length]
    assert shared == [("Content-Type", "text/plain")]


@pytest.mark.parametrize("change", [
    lambda h: h.append(("Content-Length", "1")),
    lambda h: h.append(("Content-Length", "-5")),
    lambda h: h.__setitem__(0, ("X-A", "a\x00b")),
    lambda h: h.__setitem__(0, ("X-A", "a\r\nX-Injected: 1")),
    lambda h: h.clear(),
])
def test_headers_changed_after_start_response_are_not_sent(response, sink, change):
    def app(environ, start_response):
        headers = [("X-A", "1")]
        start_response("200 OK", headers)
        change(headers)
        return iter([b"0123456789"])
    assert response.run(app, {}, sink) == OK
    assert sink.head == (200, "OK", [("X-A", "1")])
    assert sink.body == b"0123456789"


def test_write_then_iterable(response, sink):
    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"written; ")
        write(memoryview(b"view; "))
        return [b"returned"]
    assert response.run(app, {}, sink) == OK
    assert sink.body == b"written; view; returned"
    assert sink.header("Content-Length") is None     # the head went out with the first write
    assert sink.writes[0] == (b"written; ", True)


def test_start_response_may_be_called_from_the_iterable(response, sink):
    def app(environ, start_response):
        start_response("201 Created", [("X-Lazy", "1")])
        yield b"late"
    response.run(app, {}, sink)
    assert sink.head == (201, "Created", [("X-Lazy", "1")])
    assert sink.body == b"late"


def test_latin1_and_tab_are_allowed_in_header_values_and_reason(response, sink):
    response.run(simple([b""], status="200 Fin\xe9", headers=[("X-A", "caf\xe9\tb")]), {}, sink)
    assert sink.head == (200, "Fin\xe9", [("X-A", "caf\xe9\tb"), ("Content-Length", "0")])


def test_empty_reason_is_allowed(response, sink):
    response.run(simple([b"x"], status="299 "), {}, sink)
    assert sink.head[:2] == (299, "")


# ------------------------------------------------------------------ start_response errors

BAD_CALLS = [
    (lambda sr: sr(200, []), TypeError),
    (lambda sr: sr(b"200 OK", []), TypeError),
    (lambda sr: sr("200", []), ValueError),
    (lambda sr: sr("200OK", []), ValueError),
    (lambda sr: sr("2000 OK", []), ValueError),
    (lambda sr: sr("099 Low", []), ValueError),
    (lambda sr: sr("OK 200", []), ValueError),
    (lambda sr: sr("200 OK\r\nX: y", []), ValueError),
    (lambda sr: sr("200 \u20ac", []), ValueError),
    (lambda sr: sr("200 OK", (("X-A", "1"),)), TypeError),
    (lambda sr: sr("200 OK", [["X-A", "1"]]), TypeError),
    (lambda sr: sr("200 OK", [("X-A", "1", "2")]), ValueError),        # as mod_wsgi
    (lambda sr: sr("200 OK", [(b"X-A", "1")]), TypeError),
    (lambda sr: sr("200 OK", [("X-A", b"1")]), TypeError),
    (lambda sr: sr("200 OK", [("X-A", 1)]), TypeError),
    (lambda sr: sr("200 OK", [("X-A", "a\r\nX-B: 1")]), ValueError),
    (lambda sr: sr("200 OK", [("X-A", "a\nb")]), ValueError),
    (lambda sr: sr("200 OK", [("X-A", "a\x00b")]), ValueError),
    (lambda sr: sr("200 OK", [("X-A", "\u20ac")]), UnicodeEncodeError),  # a ValueError
    (lambda sr: sr("200 OK", [("Bad Name", "1")]), ValueError),
    (lambda sr: sr("200 OK", [("X:Y", "1")]), ValueError),
    (lambda sr: sr("200 OK", [("", "1")]), ValueError),
    (lambda sr: sr("200 OK", [("Content-Length", "-1")]), ValueError),
    (lambda sr: sr("100 Continue", []), ValueError),
    (lambda sr: sr("199 Early", []), ValueError),
    (lambda sr: sr("600 Late", []), ValueError),
    (lambda sr: sr("200 OK", [("Connection", "close")]), ValueError),
    (lambda sr: sr("200 OK", [("transfer-encoding", "chunked")]), ValueError),
    (lambda sr: sr("200 OK", [("Upgrade", "h2c")]), ValueError),
    (lambda sr: sr("200 OK", [], "not a tuple"), RuntimeError),
    (lambda sr: sr("200 OK", [("Content-Length", "ten")]), ValueError),
    # int() takes these, Apache would read 1 and 5: the body would not match the declared length
    (lambda sr: sr("200 OK", [("Content-Length", "1_000")]), ValueError),
    (lambda sr: sr("200 OK", [("Content-Length", "+5")]), ValueError),
    # more than Apache's 63-bit apr_off_t holds
    (lambda sr: sr("200 OK", [("Content-Length", "9223372036854775808")]), ValueError),
]


@pytest.mark.parametrize("call,exc", BAD_CALLS)
def test_invalid_start_response_is_a_500_with_a_logged_traceback(response, sink, call, exc):
    def app(environ, start_response):
        call(start_response)
        return [b"must not be seen"]
    assert response.run(app, {}, sink, script="/x/app.wsgi") == 500
    assert sink.head is None and sink.writes == []
    text = sink.log_text()
    assert "exception in the WSGI application of script '/x/app.wsgi'" in text
    assert "Traceback (most recent call last)" in text
    assert "\n%s: " % exc.__name__ in text


def test_second_start_response_without_exc_info_is_a_500(response, sink):
    def app(environ, start_response):
        start_response("200 OK", [])
        start_response("201 Created", [])
        return [b"x"]
    assert response.run(app, {}, sink) == 500
    assert sink.head is None
    assert "a second call needs exc_info" in sink.log_text()


def test_exc_info_before_headers_replaces_status_and_headers(response, sink):
    def app(environ, start_response):
        start_response("200 OK", [("X-First", "1"), ("Content-Length", "99")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("500 Oops", [("X-Second", "1")], sys.exc_info())
        return [b"error page"]
    assert response.run(app, {}, sink) == OK
    assert sink.head == (500, "Oops", [("X-Second", "1"), ("Content-Length", "10")])
    assert sink.body == b"error page"
    assert not sink.aborts


def test_exc_info_after_headers_reraises_and_aborts(response, sink):
    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"partial")
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Oops", [], sys.exc_info())
        return [b"never"]
    assert response.run(app, {}, sink) == OK
    assert sink.body == b"partial"
    assert sink.aborts == 1
    assert "ValueError: late failure" in sink.log_text()


# ------------------------------------------------------------------ body type errors

def test_write_takes_bytes_only(response, sink):
    def app(environ, start_response):
        start_response("200 OK", [])("text")
        return []
    assert response.run(app, {}, sink) == 500
    assert sink.head is None
    assert "write() takes bytes, not str" in sink.log_text()


def test_list_with_a_str_is_refused_before_anything_is_sent(response, sink):
    assert response.run(simple([b"fine", "text"]), {}, sink) == 500
    assert sink.head is None
    assert "must yield bytes, not str" in sink.log_text()


def test_generator_yielding_str_first_is_a_500(response, sink):
    assert response.run(simple(x for x in ["text"]), {}, sink) == 500
    assert sink.head is None


def test_returning_none_is_a_500_that_says_so(response, sink):
    assert response.run(simple(None), {}, sink) == 500
    assert "returned None" in sink.log_text()


def test_body_before_start_response_is_a_500(response, sink):
    assert response.run(lambda e, sr: [b"no head"], {}, sink) == 500
    assert "before calling start_response" in sink.log_text()


def test_system_exit_from_the_app_is_a_500_not_an_exit(response, sink):
    def app(environ, start_response):
        raise SystemExit(3)
    assert response.run(app, {}, sink) == 500


# ------------------------------------------------------------------ failures and close()

def test_close_after_normal_response(response, sink):
    it = Closing([b"a", b"b"])
    assert response.run(simple(it), {}, sink) == OK
    assert it.closed and sink.body == b"ab"


def test_exception_before_any_body_is_a_500_and_closes(response, sink):
    it = Closing([b"a"], fail_at=0)
    assert response.run(simple(it), {}, sink) == 500
    assert it.closed and sink.head is None and not sink.aborts


def test_exception_after_headers_aborts_and_closes(response, sink):
    it = Closing([b"a", b"b", b"c"], fail_at=2)
    assert response.run(simple(it), {}, sink) == OK
    assert it.closed
    assert sink.body == b"ab" and sink.aborts == 1
    assert "RuntimeError: failed in iteration" in sink.log_text()


def test_client_gone_stops_iteration_and_closes(response, make_sink):
    sink = make_sink(gone_after=1)
    it = Closing([b"a"] * 100)
    assert response.run(simple(it), {}, sink) == OK
    assert it.closed and it.taken == 2           # the failed write was the second
    assert sink.body == b"a" and not sink.aborts
    assert "went away" in sink.log_text()


def test_exception_in_close_is_logged(response, sink):
    class Bad(Closing):
        def close(self):
            raise KeyError("close failed")
    assert response.run(simple(Bad([b"a"])), {}, sink) == OK
    assert sink.body == b"a"
    assert "(in close())" in sink.log_text() and "KeyError" in sink.log_text()


@pytest.mark.parametrize("exc", [SystemExit(2), KeyboardInterrupt()])
def test_base_exception_in_close_is_logged_not_raised(response, sink, exc):
    class Bad(Closing):
        def close(self):
            raise exc
    assert response.run(simple(Bad([b"a"])), {}, sink) == OK
    assert sink.body == b"a" and not sink.aborts
    assert "(in close())" in sink.log_text() and type(exc).__name__ in sink.log_text()


def test_content_length_with_blanks_around_the_digits_is_kept(response, sink):
    assert response.run(simple([b"abc"], headers=[("Content-Length", " 3 ")]), {}, sink) == OK
    assert sink.body == b"abc" and not sink.aborts


# ------------------------------------------------------------------ Content-Length

def test_output_is_cut_at_content_length_and_iteration_stops(response, sink):
    it = Closing([b"hel", b"lo wor", b"ld", b"more"])
    response.run(simple(it, headers=[("Content-Length", "5")]), {}, sink)
    assert sink.body == b"hello"
    assert it.taken == 2 and it.closed and not sink.aborts


def test_write_is_cut_at_content_length(response, sink):
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Length", "5")])
        write(b"hello")
        write(b" world")
        return [b"!"]
    assert response.run(app, {}, sink) == OK
    assert sink.body == b"hello" and not sink.aborts


@pytest.mark.parametrize("body", [[b"short"], iter([b"sh", b"ort"]), []])
def test_short_body_is_a_broken_response(response, sink, body):
    assert response.run(simple(body, headers=[("Content-Length", "100")]), {}, sink) == OK
    assert sink.aborts == 1
    assert "response truncated: Content-Length is 100" in sink.log_text()


def test_head_may_send_less_than_content_length(response, make_sink):
    sink = make_sink(header_only=True)
    assert response.run(simple([], headers=[("Content-Length", "100")]), {}, sink) == OK
    assert sink.head[0] == 200 and not sink.aborts and not sink.logs


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
def test_no_body_statuses_with_content_length(response, sink, status):
    assert response.run(simple([], status=status, headers=[("Content-Length", "10")]),
                        {}, sink) == OK
    assert not sink.aborts


# ------------------------------------------------------------------ WSGIErrorOverride

def test_error_override_lets_apache_answer_error_statuses(response, sink):
    it = Closing([b"app page"])
    assert response.run(simple(it, status="404 Not Found"), {}, sink, error_override=True) == 404
    assert sink.head is None and it.closed


def test_error_override_keeps_other_statuses(response, sink):
    assert response.run(simple([b"ok"]), {}, sink, error_override=True) == OK
    assert sink.body == b"ok"


# ------------------------------------------------------------------ wsgi.file_wrapper

@pytest.fixture
def data_file(tmp_path):
    data = bytes(range(256)) * 1000
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    return path, data


def test_file_wrapper_uses_sendfile_with_content_length(response, sink, data_file):
    path, data = data_file
    f = open(path, "rb")
    assert response.run(simple(response.FileWrapper(f)), {}, sink) == OK
    assert sink.header("Content-Length") == str(len(data))
    assert sink.file_data == data and sink.writes == []
    assert f.closed


def test_file_wrapper_starts_at_the_current_position(response, sink, data_file):
    path, data = data_file
    f = open(path, "rb")
    f.read(1000)
    response.run(simple(response.FileWrapper(f)), {}, sink)
    assert sink.header("Content-Length") == str(len(data) - 1000)
    assert sink.file_data == data[1000:]


def test_file_wrapper_respects_a_declared_content_length(response, sink, data_file):
    path, data = data_file
    f = open(path, "rb")
    response.run(simple(response.FileWrapper(f), headers=[("Content-Length", "10")]), {}, sink)
    assert sink.file_data == data[:10] and not sink.aborts


def test_file_wrapper_over_a_file_like_object_is_iterated(response, sink):
    f = io.BytesIO(b"x" * 20000)
    response.run(simple(response.FileWrapper(f, 8192)), {}, sink)
    assert [len(d) for d, _ in sink.writes] == [8192, 8192, 3616]
    assert sink.files == [] and f.closed


def test_file_wrapper_over_a_pipe_is_iterated(response, sink):
    r, w = os.pipe()
    os.write(w, b"through a pipe")
    os.close(w)
    f = os.fdopen(r, "rb")
    response.run(simple(response.FileWrapper(f)), {}, sink)
    assert sink.body == b"through a pipe" and sink.files == []
    assert f.closed


def test_request_timeout_raised_by_the_application_is_a_504_with_one_line(response, sink):
    """As mod_wsgi: mod_wsgi.RequestTimeout is a 504 and an info line, not a traceback."""
    RequestTimeout = type("RequestTimeout", (BaseException,), {"__module__": "mod_wsgi"})

    def app(environ, start_response):
        raise RequestTimeout("too slow")
    assert response.run(app, {}, sink, "/x/app.wsgi") == 504
    assert "Request interrupted by RequestTimeout; thread recovered." in sink.log_text()
    assert "Traceback" not in sink.log_text()


def test_an_exception_merely_named_request_timeout_is_a_500(response, sink):
    RequestTimeout = type("RequestTimeout", (Exception,), {"__module__": "myapp"})

    def app(environ, start_response):
        raise RequestTimeout("mine")
    assert response.run(app, {}, sink, "/x/app.wsgi") == 500
    assert "Traceback" in sink.log_text()

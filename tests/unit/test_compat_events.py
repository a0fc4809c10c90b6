"""compat/events.py and compat/metrics.py without Apache: event dispatch, the instrumented path
over a fake sink, the metrics it feeds."""
import importlib

import pytest


@pytest.fixture
def ev():
    from mod_wsgi_ext.compat import events, metrics
    importlib.reload(events)
    importlib.reload(metrics)
    yield events, metrics
    importlib.reload(events)
    importlib.reload(metrics)


class Sink:
    header_only = False

    def __init__(self, body=b""):
        self.body, self.sent = body, []

    def read(self, n=-1):
        data, self.body = (self.body, b"") if n < 0 else (self.body[:n], self.body[n:])
        return data

    def write(self, data, flush=False):
        self.sent.append(bytes(data))
        return True

    def start(self, code, reason, headers):
        self.status = code

    def log(self, level, text):
        pass


def respond(app, environ, sink, script, error_override):
    from mod_wsgi_ext.wsgi import response
    return response.run(app, environ, sink, script, error_override)


def metered_input(environ, sink):
    from mod_wsgi_ext.wsgi import streams
    environ["wsgi.input"] = streams.Input(sink)


def hello(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return iter([b"got ", body])


def run(events, app=hello, body=b"abc"):
    environ = {"mod_wsgi.request_id": "rid", "mod_wsgi.request_start": 1.0,
               "mod_wsgi.callable_object": "application"}
    sink = Sink(body)
    rc = events.run(respond, app, environ, sink, 1, "123", metered_input, "s.wsgi", False)
    return rc, sink


def test_nothing_is_on_until_used(ev):
    events, metrics = ev
    assert not events.on and not events.recording
    assert metrics.request_metrics() is None and metrics.process_metrics() is None


def test_events_in_order_with_their_keywords(ev):
    events, _ = ev
    seen = []
    events.subscribe_events(lambda name, **kw: seen.append((name, kw)))
    assert events.on
    rc, sink = run(events)
    assert rc == 0 and b"".join(sink.sent) == b"got abc"
    assert [n for n, _ in seen] == ["request_started", "response_started", "request_finished"]
    finished = seen[2][1]
    assert finished["status"] == 200 and finished["input_length"] == 3
    assert finished["output_length"] == 7 and finished["request_id"] == "rid"
    assert seen[0][1]["request_data"] is finished["request_data"]
    assert events.active_requests == {}


def test_a_returned_dict_replaces_the_application(ev):
    events, _ = ev

    def wrap(name, **kw):
        if name == "request_started":
            inner = kw["application_object"]
            return {"application_object":
                    lambda e, s: [b"wrapped:"] + list(inner(e, s))}
    events.subscribe_events(wrap)
    rc, sink = run(events)
    assert b"".join(sink.sent) == b"wrapped:got abc"


def test_a_failing_subscriber_does_not_fail_the_request(ev):
    events, _ = ev
    logged = []
    events._log = lambda level, text: logged.append(text)
    events.subscribe_events(lambda name, **kw: 1 / 0)
    rc, sink = run(events)
    assert rc == 0 and b"".join(sink.sent) == b"got abc"
    assert any("ZeroDivisionError" in line for line in logged)


def test_request_exception_event(ev):
    events, _ = ev
    names = []
    events.subscribe_events(lambda name, **kw: names.append(name))

    def broken(environ, start_response):
        raise KeyError("x")
    rc, _ = run(events, broken)
    assert rc == 500
    assert "request_exception" in names and names[-1] == "request_finished"


def test_metrics_after_recording(ev):
    events, metrics = ev
    metrics.start_recording_metrics()
    for _ in range(3):
        run(events)
    m = metrics.request_metrics()
    assert m["request_count"] == 3 and m["input_bytes"] == 9 and m["output_bytes"] == 21
    assert sum(m["request_time_buckets"]) == 3 and len(m["request_time_buckets"]) == 16
    assert metrics.request_metrics()["request_count"] == 0      # a new interval
    assert metrics.process_metrics()["request_count"] == 3


@pytest.mark.parametrize("seconds,bucket", [(0.0, 0), (0.0009, 0), (0.001, 1), (0.0015, 1),
                                            (0.002, 2), (0.5, 9), (100.0, 15)])
def test_buckets(ev, seconds, bucket):
    assert ev[1]._bucket(seconds) == bucket


def test_request_data_between_requests_raises(ev):
    events, _ = ev
    events.subscribe_events(lambda name, **kw: None)
    run(events)
    with pytest.raises(RuntimeError):
        events.request_data()

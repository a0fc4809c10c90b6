"""mod_wsgi's event API and the instrumented request path, per interpreter.

``subscribe_events(callback)`` makes ``callback(name, **event)`` run for every event of this
interpreter: ``request_started``, ``response_started``, ``request_finished``,
``request_exception`` and ``process_stopping`` (with the keyword arguments mod_wsgi 6 passes).
A callback that returns a dict merges it into the event for the callbacks after it; a
``request_started`` subscriber can so replace ``application_object`` (wrap the application).
``subscribe_shutdown`` callbacks get only ``process_stopping``; ``subscribe_signals`` callbacks are
kept for mod_wsgi compatibility (Apache owns the signals, so no ``process_signal`` is sent).

Cost: ``embedded.handle`` checks ``on`` (and whether ``event_callbacks`` is non-empty) once per
request and takes the plain path while both are false.  ``on`` becomes true when something
subscribes to events, starts recording metrics (``metrics.py``), or first reads
``mod_wsgi.active_requests`` / calls ``mod_wsgi.request_data()``; from then on every request of
this interpreter runs through ``run()`` below, which keeps ``request_data``/``active_requests``,
publishes the events and feeds the metrics.
"""

import resource
import sys
import threading
import time
import traceback

event_callbacks = []
shutdown_callbacks = []
signal_callbacks = []
active_requests = {}

on = False                  # something needs the instrumented path
recording = False           # metrics are recorded (metrics.start_recording_metrics)
_local = threading.local()
_record = None              # metrics.record(sample) once recording
_log = None                 # log(level, text) to the server error log


def _callable(callback, what):
    if not callable(callback):
        raise TypeError("%s() needs a callable, not %s" % (what, type(callback).__name__))


def subscribe_events(callback):
    global on
    _callable(callback, "subscribe_events")
    event_callbacks.append(callback)
    on = True
    return callback


def subscribe_shutdown(callback):
    _callable(callback, "subscribe_shutdown")
    shutdown_callbacks.append(callback)
    return callback


def subscribe_signals(callback):
    _callable(callback, "subscribe_signals")
    signal_callbacks.append(callback)
    return callback


def start_tracking():
    """request_data()/active_requests were asked for: keep them from now on."""
    global on
    on = True


def request_data():
    """The dict of the request this thread is handling (shared with the event callbacks).

    In a thread between two tracked requests: RuntimeError, as mod_wsgi.  A thread that has not
    run a tracked request yet (tracking starts on first use) gets a new dict of its own."""
    data = getattr(_local, "data", None)
    if data is None:
        data = _local.data = {}
    elif data is False:
        raise RuntimeError("no active request for thread")
    start_tracking()
    return data


def _report_failure(name, callback):
    text = "mod_wsgi_ext: %s event callback %r failed:\n%s" % (name, callback,
                                                                traceback.format_exc())
    if _log is not None:
        for line in text.rstrip("\n").split("\n"):
            _log(3, line)
    else:
        sys.stderr.write(text)


def publish(name, event, callbacks=None, errors=Exception):
    """Call each subscriber as callback(name, **event); a returned dict updates the event.  A
    subscriber raising one of ``errors`` is logged and the next one runs."""
    for callback in list(event_callbacks if callbacks is None else callbacks):
        try:
            res = callback(name, **event)
        except errors:
            _report_failure(name, callback)
            continue
        if isinstance(res, dict):
            event.update(res)
    return event


def process_stopping(reason):
    """At process exit: ``process_stopping`` to the event and the shutdown subscribers.  Even a
    subscriber's SystemExit or KeyboardInterrupt is logged and passed over: the process is
    stopping anyway, and the other subscribers, shutdown callbacks and atexit handlers must
    still run."""
    event = {"shutdown_reason": reason}
    if event_callbacks:
        publish("process_stopping", dict(event), errors=BaseException)
    if shutdown_callbacks:
        publish("process_stopping", dict(event), shutdown_callbacks, errors=BaseException)


class _MeteredSink:
    """The request sink with its reads and writes counted and timed (instrumented path only)."""

    __slots__ = ("_req", "reads", "read_bytes", "read_time", "writes", "written", "write_time",
                 "header_only")

    def __init__(self, req):
        self._req = req
        self.reads = self.read_bytes = self.writes = self.written = 0
        self.read_time = self.write_time = 0.0
        self.header_only = getattr(req, "header_only", False)

    def read(self, n=-1):
        t = time.perf_counter()
        data = self._req.read(n)
        self.read_time += time.perf_counter() - t
        self.reads += 1
        self.read_bytes += len(data)
        return data

    def write(self, data, flush=False):
        t = time.perf_counter()
        ok = self._req.write(data, flush)
        self.write_time += time.perf_counter() - t
        if data:
            self.writes += 1
            self.written += len(data)
        return ok

    def sendfile(self, fd, offset, length):
        t = time.perf_counter()
        ok = self._req.sendfile(fd, offset, length)
        self.write_time += time.perf_counter() - t
        self.writes += 1
        self.written += length
        return ok

    def start(self, code, reason, headers):
        return self._req.start(code, reason, headers)

    def abort(self):
        return self._req.abort()

    def log(self, level, text):
        return self._req.log(level, text)

    def __getattr__(self, name):     # aborted, started, alive, ...
        return getattr(self._req, name)


class _Run:
    """What one instrumented request remembers between its events."""

    __slots__ = ("rid", "data", "status", "app_time", "exc")

    def __init__(self, rid, data):
        self.rid = rid
        self.data = data
        self.status = None
        self.app_time = 0.0
        self.exc = False


class _Iterable:
    """The application's iterable, its iteration timed and its exception published."""

    def __init__(self, result, run):
        self._it = iter(result)
        self._result = result
        self._run = run

    def __iter__(self):
        return self

    def __next__(self):
        t = time.perf_counter()
        try:
            return next(self._it)
        except StopIteration:
            raise
        except BaseException:
            _exception(self._run)
            raise
        finally:
            self._run.app_time += time.perf_counter() - t

    def close(self):
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def _exception(run):
    run.exc = True
    if event_callbacks:
        publish("request_exception", {"request_id": run.rid, "exception_info": sys.exc_info(),
                                      "request_data": run.data})


def _wrap(app, run):
    """The application, with start_response publishing response_started."""

    def application(environ, start_response):
        def observed_start_response(status, headers, exc_info=None):
            if event_callbacks:
                publish("response_started", {"request_id": run.rid, "response_status": status,
                                             "response_headers": headers,
                                             "exception_info": exc_info,
                                             "request_data": run.data})
            write = start_response(status, headers, exc_info)
            run.status = status
            return write

        t = time.perf_counter()
        try:
            result = app(environ, observed_start_response)
        except BaseException:
            _exception(run)
            raise
        finally:
            run.app_time += time.perf_counter() - t
        if isinstance(result, (list, tuple)) or result.__class__.__name__ == "FileWrapper":
            return result       # keeps the Content-Length of a list and sendfile of a file
        return _Iterable(result, run)

    return application


def run(respond, app, environ, req, thread_id, server_pid, metered_input, script,
        error_override):
    """Run one request instrumented.  ``respond(app, environ, sink, script, error_override)``
    runs the response and returns the handler's status; ``metered_input(environ, sink)`` puts
    ``wsgi.input`` on the metered sink."""
    start = time.time()
    cpu = resource.getrusage(resource.RUSAGE_THREAD)
    rc = None
    rid = environ.get("mod_wsgi.request_id", "")
    data = {}
    _local.data = data
    active_requests[rid] = data
    request_start = environ.get("mod_wsgi.request_start", start)
    r = _Run(rid, data)
    sink = _MeteredSink(req)
    metered_input(environ, sink)
    try:
        if event_callbacks:
            event = publish("request_started", {
                "request_id": rid, "thread_id": thread_id, "daemon_connects": 0,
                "daemon_restarts": 0, "server_pid": server_pid, "request_start": request_start,
                "queue_start": 0.0, "daemon_start": 0.0, "application_object": app,
                "callable_object": environ.get("mod_wsgi.callable_object", "application"),
                "request_environ": environ, "application_start": start, "request_data": data})
            app = event.get("application_object", app)
        rc = respond(_wrap(app, r), environ, sink, script, error_override)
        return rc
    finally:
        end = time.time()
        used = resource.getrusage(resource.RUSAGE_THREAD)
        status = rc if rc else _code(r.status)
        sample = {
            "request_id": rid, "thread_id": thread_id, "server_pid": server_pid,
            "request_start": request_start, "queue_start": 0.0, "daemon_start": 0.0,
            "input_reads": sink.reads, "input_length": sink.read_bytes,
            "input_time": sink.read_time, "output_length": sink.written,
            "output_writes": sink.writes, "cpu_user_time": used.ru_utime - cpu.ru_utime,
            "cpu_system_time": used.ru_stime - cpu.ru_stime, "output_time": sink.write_time,
            "application_finish": end, "application_time": r.app_time, "status": status,
            "gil_wait_time": 0.0, "gil_wait_count": 0, "request_data": data}
        sample["cpu_time"] = sample["cpu_user_time"] + sample["cpu_system_time"]
        try:
            if recording and _record is not None:
                _record(sample, start, end)
            if event_callbacks:
                publish("request_finished", sample)
        finally:
            active_requests.pop(rid, None)
            _local.data = False


def _code(status):
    try:
        return int(status[:3])
    except (TypeError, ValueError):
        return 500

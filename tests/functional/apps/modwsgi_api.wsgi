# Uses mod_wsgi 6's Python API the way applications and monitoring code do; answers JSON.
import json
import logging
import os
import sys
import threading

import apache
import mod_wsgi

EVENTS = []          # (name, sorted keyword names) of every event seen by this interpreter
_lock = threading.Lock()
log = logging.getLogger("modwsgi_api")
log.propagate = False
log.setLevel(logging.DEBUG)
log.addHandler(mod_wsgi.LogHandler())


def on_event(name, **kw):
    with _lock:
        EVENTS.append([name, sorted(kw)])
    if name == "request_started":
        kw["request_data"]["seen_by_subscriber"] = kw["request_environ"]["PATH_INFO"]
        if kw["request_environ"]["PATH_INFO"] == "/wrapped":
            inner = kw["application_object"]

            def wrapper(environ, start_response):
                environ["wrapped.by"] = "subscriber"
                return inner(environ, start_response)
            return {"application_object": wrapper}


def dump(start_response, data, status="200 OK"):
    body = json.dumps(data, sort_keys=True, default=repr).encode()
    start_response(status, [("Content-Type", "application/json")])
    return [body]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/modules":
        return dump(start_response, {
            "mod_wsgi": {k: getattr(mod_wsgi, k) for k in (
                "version", "mod_wsgi_ext_version", "process_group", "application_group",
                "maximum_processes", "threads_per_process")},
            "callables": sorted(k for k in (
                "subscribe_events", "subscribe_shutdown", "subscribe_signals", "request_data",
                "start_recording_metrics", "request_metrics", "process_metrics",
                "server_metrics") if callable(getattr(mod_wsgi, k))),
            "lists": [type(getattr(mod_wsgi, k)).__name__ for k in (
                "event_callbacks", "shutdown_callbacks", "signal_callbacks", "active_requests")],
            "classes": [mod_wsgi.FileWrapper.__name__, mod_wsgi.LogHandler.__name__,
                        mod_wsgi.RequestTimeout.__name__,
                        issubclass(mod_wsgi.RequestTimeout, Exception),
                        issubclass(mod_wsgi.LogHandler, logging.Handler)],
            "file_wrapper_is_environ_one": environ["wsgi.file_wrapper"] is mod_wsgi.FileWrapper,
            "apache": {k: getattr(apache, k) for k in (
                "version", "description", "build_date", "mpm_name", "maximum_processes",
                "threads_per_process")},
            "metrics_before": [mod_wsgi.request_metrics(), mod_wsgi.process_metrics()],
        })
    if path == "/express-import":
        from mod_wsgi.express.runtime import ApplicationHandler
        return dump(start_response, {"handler": ApplicationHandler.__name__,
                                     "path": list(mod_wsgi.__path__)})
    if path.startswith("/environ"):
        return dump(start_response, {k: [type(v).__name__, v] for k, v in environ.items()
                                     if k.startswith(("mod_wsgi.", "apache.", "REMOTE_ADDR",
                                                      "SCRIPT_NAME", "PATH_INFO"))})
    if path == "/subscribe":
        if on_event not in mod_wsgi.event_callbacks:
            mod_wsgi.subscribe_events(on_event)
        return dump(start_response, {"subscribed": len(mod_wsgi.event_callbacks)})
    if path in ("/plain", "/wrapped"):
        data = mod_wsgi.request_data()
        active = mod_wsgi.active_requests
        return dump(start_response, {
            "request_data": dict(data), "wrapped": environ.get("wrapped.by"),
            "active_has_me": environ["mod_wsgi.request_id"] in active,
            "active_is_mine": active.get(environ["mod_wsgi.request_id"]) is data})
    if path == "/events":
        with _lock:
            seen = list(EVENTS)
        return dump(start_response, {"events": seen})
    if path == "/fail":
        raise ValueError("failing on purpose")
    if path == "/fail-late":
        def gen():
            yield b"part"
            raise ValueError("failing while iterating")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/timeout":
        raise mod_wsgi.RequestTimeout("raised by the application")
    if path == "/record":
        mod_wsgi.start_recording_metrics()
        return dump(start_response, {"recording": True})
    if path == "/post":
        body = environ["wsgi.input"].read()
        return dump(start_response, {"length": len(body)})
    if path == "/metrics":
        return dump(start_response, {"request": mod_wsgi.request_metrics(),
                                     "process": mod_wsgi.process_metrics(),
                                     "server": mod_wsgi.server_metrics()})
    if path == "/log":
        log.warning("LOGHANDLER-WARNING-MARK")
        log.debug("LOGHANDLER-DEBUG-MARK")
        environ["wsgi.errors"].buffer.write(b"ERRORS-BUFFER-MARK \xc3\xa9\n")
        environ["wsgi.errors"].buffer.write(memoryview(b"ERRORS-MEMORYVIEW-MARK\n"))
        return dump(start_response, {"logged": True})
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such test path: " + path.encode()]

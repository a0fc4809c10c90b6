# Hostile uses of issue 10's mod_wsgi API (tests/functional/test_compat_attack.py).
import json
import threading
import time

import mod_wsgi

_kept = []          # environs and request dicts kept past their request
_results = {}       # what the background threads saw


def _hammer(name, n):
    errors = []
    for _ in range(n):
        for fn in (mod_wsgi.server_metrics, mod_wsgi.process_metrics, mod_wsgi.request_metrics):
            try:
                fn()
            except Exception as exc:
                errors.append(repr(exc))
    _results[name] = errors


def _late_request_data(name):
    time.sleep(0.2)
    try:
        mod_wsgi.request_data()
        _results[name] = "no error"
    except RuntimeError as exc:
        _results[name] = "RuntimeError"
    except Exception as exc:
        _results[name] = repr(exc)


def _subscriber(name, **kw):
    if name == "request_started" and kw["request_environ"]["PATH_INFO"] == "/sysexit":
        raise SystemExit(4)
    if name == "request_started":
        _kept.append(kw.get("request_environ"))
        del _kept[:-50]
        mod_wsgi.subscribe_events(lambda *a, **k: None) if len(mod_wsgi.event_callbacks) < 20 \
            else None
        return {"request_id": 12345, "application_object": None} if False else {"odd": object()}
    if name == "request_finished" and kw.get("status") == 299:
        raise KeyboardInterrupt
    if name == "request_finished":
        raise RuntimeError("subscriber failing on purpose")
    return "not a dict"


_kept_env = []


def _keeper(name, **kw):
    for key in ("request_environ", "request_data", "exception_info"):
        if kw.get(key) is not None:
            _kept_env.append(kw[key]) if key == "request_environ" else None
    del _kept_env[:-20]


def _use_kept():
    seen = []
    for env in list(_kept_env):
        for what, fn in (("read", lambda: env["wsgi.input"].read(10)),
                         ("readline", lambda: env["wsgi.input"].readline()),
                         ("errors", lambda: (env["wsgi.errors"].write("late\n"),
                                             env["wsgi.errors"].flush())),
                         ("errors_buffer", lambda: env["wsgi.errors"].buffer.write(b"late\n")),
                         ("wrapper", lambda: list(env["wsgi.file_wrapper"](open(__file__, "rb"))))):
            try:
                fn()
                seen.append(what + ":ok")
            except Exception as exc:
                seen.append(what + ":" + type(exc).__name__)
    return seen


# in every child that loads this script (prefork spreads requests over several)
mod_wsgi.subscribe_events(_subscriber)
mod_wsgi.subscribe_events(_keeper)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    out = {}
    if path == "/start":
        mod_wsgi.start_recording_metrics()
    elif path == "/threads":
        ts = [threading.Thread(target=_hammer, args=("t%d" % i, 50)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        out["errors"] = sum((_results.pop("t%d" % i) for i in range(4)), [])
    elif path == "/background":
        # outlives the request: metrics from a thread while no request runs in it
        threading.Thread(target=_hammer, args=("bg", 200), daemon=True).start()
        threading.Thread(target=_late_request_data, args=("late",), daemon=True).start()
    elif path == "/results":
        out = dict(_results)
    elif path == "/metrics":
        sm = mod_wsgi.server_metrics()
        out["server"] = None if sm is None else {
            "procs": len(sm["processes"]), "gens": sorted({p["generation"]
                                                           for p in sm["processes"]})}
        out["process"] = mod_wsgi.process_metrics() is not None
    elif path == "/keep":
        _kept_env.append(environ)
    elif path == "/usekept":
        out["uses"] = _use_kept()
        t = threading.Thread(target=lambda: _results.__setitem__("kept", _use_kept()))
        t.start()
        t.join()
        out["thread"] = _results.pop("kept")
    elif path == "/sleep":
        time.sleep(1.5)
    elif path == "/active":
        out["active"] = len(mod_wsgi.active_requests)
        out["ids"] = sorted(mod_wsgi.active_requests)
        out["pid"] = __import__("os").getpid()
    elif path == "/data":
        mod_wsgi.request_data()["x"] = 1
    body = json.dumps(out).encode()
    start_response("299 Odd" if path == "/kbd" else "200 OK", [("Content-Type", "application/json")])
    return [body]

"""Reports what Python believes about its process: signal handlers and the WSGI process model."""
import json
import signal


def application(environ, start_response):
    handlers = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGINT", "SIGTERM")}
    body = json.dumps({
        "python_sigint_handler": handlers["SIGINT"] is signal.default_int_handler,
        "handlers": {k: repr(v) for k, v in handlers.items()},
        "multithread": environ["wsgi.multithread"],
        "multiprocess": environ["wsgi.multiprocess"],
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

"""/spin starts a thread that runs Python without ever blocking (CPU-bound background work);
/hello answers.  Used by test_gil_starvation.py."""
import threading


def _spin():
    while True:
        sum(range(10000))


def application(environ, start_response):
    if environ["PATH_INFO"] == "/spin":
        threading.Thread(target=_spin, daemon=True).start()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]

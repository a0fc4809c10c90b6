import threading

_local = threading.local()


def application(environ, start_response):
    # how many requests this thread has served in this interpreter, as threading.local sees it
    _local.count = getattr(_local, "count", 0) + 1
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d" % _local.count]

import builtins
import os


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("preloaded=%s pid=%d" % (getattr(builtins, "_wx_preloaded_in", None),
                                       os.getpid())).encode()]

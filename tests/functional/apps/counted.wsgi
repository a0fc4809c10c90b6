import sys

# how often this script has been executed in this interpreter
sys._wx_counted_loads = getattr(sys, "_wx_counted_loads", 0) + 1
LOADS = sys._wx_counted_loads


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"loads=%d" % LOADS]

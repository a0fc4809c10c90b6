"""Reads the request body with the method named by ?how= (read, readline, readlines, read-n) and
reports the process's resident memory before (VmRSS) and its peak after (VmHWM), in kB."""
import json
import os


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def application(environ, start_response):
    how = environ.get("QUERY_STRING", "how=read").partition("=")[2]
    inp = environ["wsgi.input"]
    before = _status("VmRSS")
    if how == "read":
        n = len(inp.read())
    elif how == "readline":
        n = len(inp.readline())
    elif how == "readlines":
        n = sum(map(len, inp.readlines()))
    elif how == "read-n":
        n = len(inp.read(int(environ.get("CONTENT_LENGTH") or 0)))
    else:
        raise ValueError(how)
    data = {"rss_before": before, "hwm_after": _status("VmHWM"), "length": n,
            "pid": os.getpid()}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]

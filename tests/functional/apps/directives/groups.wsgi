"""Reports its interpreter: group name, whether it is the main interpreter, shared module state."""
import json
import os
import sys

import wx_probe

COUNTER = [0]


def _is_main():
    try:
        import _xxsubinterpreters as interpreters
    except ImportError:
        return None
    return interpreters.get_current() == interpreters.get_main()


def application(environ, start_response):
    COUNTER[0] += 1
    query = environ.get("QUERY_STRING", "")
    if query.startswith("set="):
        wx_probe.value = query[4:]
    data = {"group": environ["mod_wsgi.application_group"], "main": _is_main(),
            "counter": COUNTER[0], "value": wx_probe.value, "preloaded": wx_probe.preloaded,
            "pid": os.getpid(), "modules_id": id(sys.modules)}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]

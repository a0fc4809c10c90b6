"""Reports the interpreter serving it: group name (as latin-1 bytes in hex), pid, the identity of
its sys.modules; ?setenv=NAME=VALUE sets os.environ[NAME] in this process first."""
import json
import os
import sys
import urllib.parse


def application(environ, start_response):
    q = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    for item in q.get("setenv", []):
        name, _, value = item.partition("=")
        os.environ[name] = value
    group = environ["mod_wsgi.application_group"]
    data = {"group_hex": group.encode("latin-1").hex(), "pid": os.getpid(),
            "modules_id": id(sys.modules), "script": environ["SCRIPT_FILENAME"].encode(
                "latin-1").hex(), "file": __file__.encode("utf-8", "surrogateescape").hex()}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]

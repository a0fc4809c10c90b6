"""Mounted with both groups given, so it is imported when the process starts."""
import json
import os
import sys
import uuid

IMPORT_ID = uuid.uuid4().hex
sys.stderr.write("wx-alias-preload %s pid=%d\n" % (IMPORT_ID, os.getpid()))
sys.stderr.flush()


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"import_id": IMPORT_ID, "pid": os.getpid()}).encode()]

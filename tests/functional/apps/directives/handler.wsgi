"""A WSGIHandlerScript: mod_wsgi calls handle_request, never application."""
import json


def handle_request(environ, start_response):
    data = {"handler": "handle_request", "SCRIPT_FILENAME": environ.get("SCRIPT_FILENAME"),
            "SCRIPT_NAME": environ.get("SCRIPT_NAME"), "PATH_INFO": environ.get("PATH_INFO")}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"wrong callable: application"]

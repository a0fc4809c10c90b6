"""Rewritten by the WSGIScriptReloading tests."""
VERSION = b"version 1"


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [VERSION]

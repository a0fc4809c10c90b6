"""Imports a C extension that refuses to load in a sub-interpreter (built by the test)."""
import wx_nosubinterp


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"loaded " + wx_nosubinterp.__name__.encode()]

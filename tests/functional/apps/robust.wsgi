"""Applications that misbehave in ways the Apache child must survive (test_robustness.py); the
query string picks one.

    close-exit        a complete body, then close() raises SystemExit
    odd-text-before   raises, before start_response, an exception whose text holds a NUL and a
                      lone surrogate
    odd-text-after    the same after part of the body was sent
    odd-log           writes such text to wsgi.errors and stdout, then answers 200
    length-underscore declares Content-Length "1_000" and sends 1000 bytes
    sabotage          makes the dispatcher itself raise once the (complete) response was sent
"""
import sys

import mod_wsgi_ext.runtime.embedded as embedded

ODD = "odd\x00text \udcff end"


class ExitOnClose:
    def __iter__(self):
        return iter([b"complete body\n"])

    def close(self):
        raise SystemExit(3)


def _sabotage(errors):
    raise SystemExit("dispatcher sabotaged after the response")


def application(environ, start_response):
    mode = environ["QUERY_STRING"]
    if mode == "close-exit":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ExitOnClose()
    if mode == "odd-text-before":
        raise RuntimeError(ODD)
    if mode == "odd-text-after":
        return _odd_after(start_response)
    if mode == "odd-log":
        environ["wsgi.errors"].write("wsgi.errors: " + ODD + "\n")
        print("stdout: " + ODD)
        sys.stdout.flush()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"logged\n"]
    if mode == "length-underscore":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1_000")])
        return [b"x" * 1000]
    if mode == "sabotage":
        embedded._flush_request_output = _sabotage      # this interpreter only
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"complete body\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fine\n"]


def _odd_after(start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"partial body\n"
    raise RuntimeError(ODD)

# Differential tests: a script whose import fails.
import no_such_module_for_mod_wsgi_tests  # noqa: F401


def application(environ, start_response):
    start_response("200 OK", [])
    return [b"unreachable"]

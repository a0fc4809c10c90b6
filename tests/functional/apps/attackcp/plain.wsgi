# Echoes REQUEST_URI and the proxy-derived environ (tests/functional/test_compat_attack.py).
import json


def application(environ, start_response):
    keys = ("REQUEST_URI", "REMOTE_ADDR", "SCRIPT_NAME", "PATH_INFO", "mod_wsgi.mount_point",
            "HTTP_X_FORWARDED_FOR", "mod_wsgi.application_group", "REDIRECT_STATUS")
    body = json.dumps({k: environ.get(k) for k in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def does_not_exist_either(environ, start_response):
    start_response("200 OK", [])
    return [b""]

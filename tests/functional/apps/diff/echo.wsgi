# Differential tests: answer with the request as the application saw it (selected environ keys,
# every HTTP_* key and the body), as JSON with a Content-Length.
import hashlib
import json

KEYS = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
        "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_PROTOCOL", "SERVER_NAME", "SERVER_PORT",
        "REMOTE_ADDR", "REQUEST_SCHEME", "GATEWAY_INTERFACE", "SCRIPT_FILENAME", "AUTH_TYPE",
        "REMOTE_USER", "HTTPS", "wsgi.version", "wsgi.url_scheme", "wsgi.multithread",
        "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated",
        "DEMO_SETTING", "mod_wsgi.process_group", "mod_wsgi.application_group", "mod_wsgi.callable_object")


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    seen = {k: environ[k] for k in KEYS if k in environ}
    seen.update((k, v) for k, v in environ.items() if k.startswith("HTTP_"))
    seen["cgi_keys"] = sorted(k for k in environ if k.isupper())
    seen["types"] = sorted({k: type(v).__name__ for k, v in seen.items()}.items())
    seen["body_length"] = len(body)
    if len(body) <= 200:
        seen["body"] = body.decode("latin-1")
    else:
        seen["body_md5"] = hashlib.md5(body).hexdigest()
    data = json.dumps(seen, sort_keys=True, indent=1).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]

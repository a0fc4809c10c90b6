"""A WSGI application and a check_password in one file (used by the auth tests).

check_password grants every user whose password is "secret" under the name
``user@<interpreter>`` and remembers the call in the module; the application shows REMOTE_USER
and the calls its own copy of the module has seen, so a test can tell which interpreter and which
module object each of them ran in.
"""
import json

calls = []


def check_password(environ, user, password):
    group = environ["mod_wsgi.application_group"]
    calls.append([group, user])
    return "%s@%s" % (user, group) if password == "secret" else False


def application(environ, start_response):
    body = json.dumps({"user": environ.get("REMOTE_USER"), "calls": calls,
                       "group": environ["mod_wsgi.application_group"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

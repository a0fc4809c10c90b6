"""Auth script that records what each auth callable receives (used by the auth tests).

Each call writes ``{root}/state/<X-Case header>-<function>.json``: every environ key with the
type name of its value (and the value when it is a str, int or tuple), the other arguments, and
the process ids.  Passwords are "secret"; the only group is "staff".
"""
import hashlib
import json
import os

STATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "state")


def _dump(name, environ, **args):
    data = {key: [type(value).__name__,
                  value if isinstance(value, (str, int, tuple)) else None]
            for key, value in environ.items()}
    data["__args__"] = args
    data["__pid__"] = os.getpid()
    data["__ppid__"] = os.getppid()
    case = environ.get("HTTP_X_CASE", "default")
    with open(os.path.join(STATE, "%s-%s.json" % (case, name)), "w") as f:
        json.dump(data, f)
    environ["wsgi.errors"].write("env.py: %s saw case %s\n" % (name, case))


def check_password(environ, user, password):
    _dump("check_password", environ, user=user, password=password)
    return password == "secret"


def get_realm_hash(environ, user, realm):
    _dump("get_realm_hash", environ, user=user, realm=realm)
    return hashlib.md5(("%s:%s:secret" % (user, realm)).encode()).hexdigest()


def groups_for_user(environ, user):
    _dump("groups_for_user", environ, user=user)
    return ["staff"]


def allow_access(environ, host):
    _dump("allow_access", environ, host=host)
    return True

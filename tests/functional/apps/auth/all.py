"""One auth script with all four mod_wsgi auth callables, used by the auth tests.

The answer depends on the user name (and for allow_access on the query string), so that one
server shows every kind of return value.  Every user's password is "secret".
"""
import hashlib

PASSWORD = "secret"


def realm_hash(user, realm, password=PASSWORD):
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode("latin-1")).hexdigest()


def check_password(environ, user, password):
    if user == "ghost":
        return None                      # unknown here: the next provider may know the user
    if user == "boom":
        raise RuntimeError("check_password failed on purpose")
    answers = {"rename": "renamed", "unicode": "zo\u00eb", "empty": "", "number": 1,
               "bytes": b"renamed", "list": ["renamed"]}
    if user in answers:
        return answers[user] if password == PASSWORD else False
    return password == PASSWORD


def get_realm_hash(environ, user, realm):
    if user == "ghost":
        return None
    if user == "boom":
        raise RuntimeError("get_realm_hash failed on purpose")
    if user == "bob":
        return realm_hash(user, realm).encode("ascii")      # bytes
    if user == "empty":
        return ""
    if user == "emptybytes":
        return b""
    if user == "number":
        return 5
    if user == "nonlatin":
        return "\u0101" * 32
    if user == "wrong":
        return realm_hash(user, realm, "not the password")
    return realm_hash(user, realm)                          # str


def _then_fail():
    yield "staff"
    raise RuntimeError("groups iterator failed on purpose")


def groups_for_user(environ, user):
    groups = {
        "alice": lambda: ["staff"],
        "bob": lambda: [b"admins"],
        "carol": lambda: [],
        "dave": lambda: 5,
        "erin": lambda: [1],
        "frank": lambda: ["\u0100dmins"],
        "hank": lambda: (g for g in ("Staff", "other")),
        "ivan": lambda: "sa",            # a str is an iterable of one-letter groups
        "judy": _then_fail,
        "renamed": lambda: ("staff",),
    }
    if user == "gina":
        raise RuntimeError("groups_for_user failed on purpose")
    return groups.get(user, lambda: ["nobody"])()


def allow_access(environ, host):
    answer = environ.get("QUERY_STRING", "")
    if answer == "boom":
        raise RuntimeError("allow_access failed on purpose")
    return {"true": True, "false": False, "none": None, "number": 1, "str": "yes",
            "host": host == "127.0.0.1" and environ["REMOTE_ADDR"] == host}.get(answer, None)

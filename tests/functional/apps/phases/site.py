"""The phase handlers of the parity table (tests/functional/test_phases_parity.py).

Every handler looks at request.options["row"] (WSGIPhaseOption row NAME in Apache, options= in
PhasedApp) and acts only for the rows it belongs to, so that one Phases object serves them all.
"""
import hashlib

from wsgi_phases import Phases, OK, DECLINED, Deny, FIRST, LAST

phases = Phases()
USERS = {"alice": "pw", "bob": "pw", "root": "pw", "joe": "pw",
         "j\u00f6rg": "p\u00e4ssword"}


def row(request):
    return request.options.get("row", "")


@phases.access(order=FIRST)
def first_access(request):
    r = row(request)
    if r == "access_order":
        request.notes["first"] = "yes"
    if r == "access_ok":
        return OK
    if r == "access_403":
        return 403
    if r == "access_deny_body":
        raise Deny(403, body="no entry\n", headers={"X-Why": "closed"})
    if r == "access_wrong_type":
        return "yes"
    if r == "access_exception":
        raise ZeroDivisionError("boom")
    if r == "access_stack":
        return OK
    return None


@phases.access
def second_access(request):
    if row(request) == "access_stack":
        return 404
    return DECLINED


@phases.access(order=LAST)
def last_access(request):
    r = row(request)
    if r == "access_stack":
        return 500                      # never reached: the stack stopped at 404
    if r == "access_order" and request.notes.get("first") != "yes":
        return 410
    return None


@phases.authenticate
def authn_first(request):
    r = row(request)
    if r == "authn_ok_no_user":
        return OK
    if r == "bearer_status":
        return 401
    if r.startswith("bearer"):
        auth = request.headers_in.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Deny(401, body='{"error": "token required"}', content_type="application/json",
                       headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
        request.user = auth[7:]
        request.auth_type = "Bearer"
        return OK
    return DECLINED


@phases.authenticate
def authn_second(request):
    if row(request) == "authn_stack":
        request.user = "second"
        return OK
    return None


@phases.authenticate
def authn_third(request):
    if row(request) == "authn_stack":
        raise AssertionError("the third authenticate handler ran")
    return None


@phases.check_password
def check(request, user, password):
    if row(request) == "basic_rename" and user == "alice":
        return "Alice" if password == "pw" else False
    if user not in USERS:
        return None
    return USERS[user] == password


@phases.get_realm_hash
def realm_hash(request, user, realm):
    if user not in USERS:
        return None
    return hashlib.md5(("%s:%s:%s" % (user, realm, USERS[user])).encode("latin-1")).hexdigest()


@phases.require("staff")
def staff(request, *args):
    if request.user is None:
        return False
    return request.user == "alice"


@phases.require("net")
def net(request, *prefixes):
    if request.useragent_ip.startswith(prefixes):
        return True
    raise Deny(403, body="not from here\n")


@phases.require("neutral")
def neutral(request, *args):
    return None


@phases.groups_for_user
def groups(request, user):
    return ["admins"] if user == "root" else ["users"]


@phases.fixup
def fixup(request):
    r = row(request)
    if r == "fixup_env":
        request.subprocess_env["TENANT"] = request.hostname.split(".")[0]
        request.headers_in["X-Added"] = "by-fixup"
        request.notes["n"] = "note-1"
    elif r == "fixup_headers_out":
        request.headers_out["X-Phase"] = "fixup"
        request.err_headers_out.add("X-Phase-Err", "e1")
    elif r == "fixup_redirect":
        raise Deny(302, headers={"Location": "http://example.com/login?next=%s" % request.uri})
    elif r == "fixup_status":
        return 404
    elif r == "fixup_wrong_type":
        return 200
    return OK

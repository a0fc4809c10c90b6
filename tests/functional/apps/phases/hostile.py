"""Hostile phase handlers (tests/functional/test_phases_hostile.py): the X-Attack request header
names what the access or fixup handler does to the request object."""
import sys
import threading

from wsgi_phases import Phases, OK, DECLINED, DONE, Deny

phases = Phases()
KEPT = {}


class Index:
    def __index__(self):
        return 403


def _recurse(n):
    return _recurse(n + 1)


class Dies:
    def __init__(self, req):
        self.req = req

    def __del__(self):
        try:
            self.req.notes["from-del"] = "x"
        except Exception:
            pass


def attack(request, name):
    if name == "huge-int":
        return 2 ** 100
    if name == "huge-int-then":
        return 2 ** 64 + 403
    if name == "neg-huge":
        return -(2 ** 70)
    if name == "bool":
        return True
    if name == "float":
        return 403.0
    if name == "index":
        return Index()
    if name == "ctype-crlf":
        request.content_type = "text/plain\r\nX-Injected: ctype"
        return OK
    if name == "handler-crlf":
        request.handler = "x\r\ny"
        return OK
    if name == "user-crlf":
        request.user = "eve\r\nX-Injected: user"
        return OK
    if name == "authtype-crlf":
        request.auth_type = "Basic\nX"
        return OK
    if name == "user-nonlatin":
        request.user = "\u20ac"
        return OK
    if name == "user-int":
        request.user = 5
        return OK
    if name == "user-huge":
        request.user = "u" * (4 << 20)
        return OK
    if name == "out-crlf":
        request.err_headers_out["X-A"] = "a\r\nX-Injected: table"
        return OK
    if name == "del-missing":
        del request.headers_in["X-Not-There"]
        return OK
    if name == "mutate-iter":
        for key in request.headers_in:
            request.headers_in["X-New-" + key] = "1"
            del request.headers_in[key]
        request.notes["mutated"] = "yes"
        return OK
    if name == "keep":
        KEPT["req"] = request
        KEPT["table"] = request.headers_in
        KEPT["iter"] = iter(request.headers_in.items())
        return OK
    if name == "use-kept":
        if "req" not in KEPT:           # (prefork: another child kept it)
            request.notes["kept"] = "nothing kept"
            return OK
        errors = []
        for use in (lambda: KEPT["req"].uri, lambda: KEPT["table"]["Host"],
                    lambda: next(KEPT["iter"]), lambda: KEPT["req"]._respond(200, "text/plain", b"x"),
                    lambda: KEPT["table"].add("a", "b"), lambda: list(KEPT["table"]),
                    lambda: setattr(KEPT["req"], "user", "x")):
            try:
                use()
                errors.append("no error")
            except (RuntimeError, StopIteration) as e:
                errors.append(type(e).__name__)
        request.notes["kept"] = ",".join(errors)
        return OK
    if name == "thread":
        out = []

        def use():
            for _ in range(200):
                try:
                    request.headers_in["X-T"] = "1"
                    out.append("no error")
                except RuntimeError:
                    out.append("RuntimeError")
        t = threading.Thread(target=use)
        t.start()
        t.join()
        request.notes["thread"] = ",".join(sorted(set(out)))
        return OK
    if name == "del":
        d = Dies(request)
        d.cycle = d
        KEPT["dies"] = d
        return OK
    if name == "systemexit":
        raise SystemExit(3)
    if name == "keyboardinterrupt":
        raise KeyboardInterrupt
    if name == "generatorexit":
        raise GeneratorExit
    if name == "recursion":
        return _recurse(0)
    if name == "deny-204-body":
        raise Deny(204, body="x")
    if name == "respond-0":
        request._respond(0, "text/plain", b"zero")
        return DONE
    if name == "respond-1000":
        request._respond(1000, "text/plain", b"thousand")
        return DONE
    if name == "respond-neg":
        request._respond(-7, "text/plain", b"neg")
        return DONE
    if name == "custom-1000":
        request._custom_response(1000, "page")
        return 403
    if name == "custom-neg":
        request._custom_response(-1, "page")
        return 403
    if name == "deny-nul-body":
        raise Deny(403, body=b"a\x00b", content_type="application/octet-stream")
    if name == "deny-huge-body":
        raise Deny(403, body=b"z" * (8 << 20))
    if name == "deny-status":
        return 403 if request.uri != "/h" else OK
    if name == "deny-body":
        raise Deny(403, body="no entry\n")
    if name == "ssl-var":
        request.notes["ssl"] = repr(request.ssl_var("SSL_PROTOCOL"))
        return OK
    if name == "ssl-var-bad":
        request.ssl_var(5)
        return OK
    if name == "import-heavy":
        import json, email.parser, http.client, xml.dom.minidom  # noqa: F401
        return OK
    if name == "basic":
        request.notes["basic"] = repr(request.basic_auth())
        return OK
    if name == "slot":
        request._wx_phases = ("x", "y", 5)
        request.phase = 12
        return OK
    return DECLINED


@phases.access
def access(request):
    name = request.headers_in.get("X-Attack", "")
    if request.headers_in.get("X-Phase", "access") == "access":
        return attack(request, name)
    return OK


@phases.fixup
def fixup(request):
    name = request.headers_in.get("X-Attack", "")
    if request.headers_in.get("X-Phase") == "fixup":
        return attack(request, name)
    return OK


@phases.check_password
def check_password(request, user, password):
    if user == "crlf":
        return "eve\r\nX-Injected: basic"
    if user == "euro":
        return "\u20ac"
    return password == "secret"

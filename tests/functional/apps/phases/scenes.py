"""Phase handlers of the scenario tests (tests/functional/test_phases.py)."""
from wsgi_phases import Phases, OK, DECLINED, Deny

phases = Phases()


def trace(request, what):
    request.notes.add("trace", "%s:%s/%s/%s" % (what, request.user, request.auth_type,
                                               request.auth_name))


@phases.access
def access(request):
    trace(request, "access")
    if request.options.get("deny") == "yes":
        return 403
    return OK


@phases.authenticate
def declines(request):
    trace(request, "authn1")
    return DECLINED


@phases.authenticate
def sets_user(request):
    trace(request, "authn2")
    request.user = request.headers_in.get("X-User", "anonymous")
    return OK


@phases.authenticate
def never(request):
    raise AssertionError("the third authenticate handler ran")


@phases.fixup
def fixup_one(request):
    trace(request, "fixup1")
    request.notes["tenant"] = request.hostname.split(".")[0]
    if request.options.get("handler"):
        request.handler = request.options["handler"]
    if request.options.get("facts"):
        env = request.environ
        request.log.info("facts for %s", request.uri)
        request.notes["facts"] = repr((
            env["REQUEST_METHOD"], "HTTP_AUTHORIZATION" in env, env.get("HTTP_X_FACT"),
            request.basic_auth(), request.ssl_var("SSL_PROTOCOL"), request.is_https,
            request.scheme, request.method, request.query_string, request.protocol,
            request.headers_in.getall("X-Fact"), request.phase, request.unparsed_uri,
            request.filename is not None, request.useragent_ip == request.client_ip))
    if request.options.get("tables"):
        t = request.notes
        t["K"] = "1"
        t.add("k", "2")
        t["caf\u00e9"] = "cr\u00e8me"
        out = [t["k"], t.getall("K"), "k" in t, "missing" in t, 5 in t, t.get("missing", "dflt"),
               t["caf\u00e9"], sorted(t).count("K") + sorted(t).count("k"), len(t) >= 2]
        for bad in (lambda: t.__setitem__("x", "a\r\nb"), lambda: t.__setitem__("x", 5),
                    lambda: t.__setitem__("x", "\u20ac"), lambda: t.__getitem__("missing"),
                    lambda: t.__delitem__("missing")):
            try:
                bad()
                out.append("no error")
            except (ValueError, TypeError, KeyError) as e:
                out.append(type(e).__name__)
        del t["K"]
        out.append(t.getall("k"))
        request.headers_in["X-Replaced"] = "new"
        out.append(request.headers_in.allitems()[-1])
        request.notes["tables"] = repr(out)
    if request.options.get("redirect"):
        raise Deny(302, headers={"Location": request.options["redirect"]})
    request.notes["object-id"] = str(id(request))
    return OK


@phases.fixup
def fixup_two(request):
    trace(request, "fixup2")
    request.headers_out["X-Fixups"] = "2"
    return None

"""Differential test: mod_wsgi 6 (from PyPI) and mod_wsgi_ext answer the same requests alike.

One embedded-mode configuration (CONF) runs twice, once with mod_wsgi's ``LoadModule`` line and
once with ours; every row of ROWS is sent as raw bytes to both.  Each must give the same status
line (with its reason phrase), body, Content-Type and Location (plus any header the row names),
the same Content-Length where mod_wsgi sends one, and must be cut short (or not) alike.  Where
mod_wsgi chunks a body whose length the application did not give, we may send a Content-Length
that matches the same bytes.  The echo application (apps/diff/echo.wsgi) answers with the environ
it saw (selected keys, every HTTP_* key, the names of all CGI keys, the value types and the
body), so environ differences show up as body differences.  Server roots and ports are
normalised away (both servers' roots and ports have the same lengths, so HEAD lengths compare).

Rows where we differ on purpose are listed in DIFFERENCES with the reason, and check our
documented behaviour instead; rows marked ``known_bug`` are differences still to be fixed.
"""
import difflib

import pytest

from functional.conftest import module_server

CONF = r"""
WSGIScriptAlias /echo {root}/apps/diff/echo.wsgi
WSGIScriptAlias /app {root}/apps/diff/app.wsgi
WSGIScriptAlias /other {root}/apps/diff/app.wsgi callable-object=other
WSGIScriptAlias /other-directive {root}/apps/diff/app.wsgi
WSGIScriptAlias /missing {root}/apps/diff/no-such-script.wsgi
WSGIScriptAlias /broken {root}/apps/diff/broken.wsgi
WSGIScriptAlias /auth {root}/apps/diff/echo.wsgi
WSGIScriptAlias /authopt {root}/apps/diff/echo.wsgi pass-authorization=On
WSGIScriptAlias /chunked {root}/apps/diff/echo.wsgi
WSGIScriptAlias /global {root}/apps/diff/echo.wsgi
WSGIScriptAlias /headget {root}/apps/diff/echo.wsgi
WSGIScriptAlias /env {root}/apps/diff/echo.wsgi
WSGIScriptAlias /proxied {root}/apps/diff/echo.wsgi
WSGIScriptAlias /untrusted {root}/apps/diff/echo.wsgi
WSGIScriptAlias /https-env {root}/apps/diff/echo.wsgi
WSGIScriptAlias /override {root}/apps/diff/app.wsgi
WSGIScriptAlias /slash/ {root}/apps/diff/echo.wsgi
WSGIScriptAliasMatch ^/match/([a-z]+) {root}/apps/diff/$1.wsgi
Alias /app/static {root}/apps/diff/static
Alias /scripts-noexec {root}/apps/diff
Alias /scripts {root}/apps/diff
WSGIScriptAlias /dispatched {root}/apps/diff/app.wsgi
WSGIScriptAlias /dispatched-echo {root}/apps/diff/echo.wsgi
WSGIScriptAlias /modules {root}/apps/diff/modules.wsgi
WSGIScriptAlias /modproxied {root}/apps/diff/modules.wsgi
WSGIScriptAlias / {root}/apps/diff/echo.wsgi
<Location /dispatched>
    WSGIDispatchScript {root}/apps/diff/dispatch.py
</Location>
<Location /dispatched-echo>
    WSGIDispatchScript {root}/apps/diff/dispatch.py
</Location>
<Location /errdoc>
    ErrorDocument 404 /echo/error-page
</Location>
<Location /modproxied>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Script-Name
    WSGITrustedProxies 10.0.0.0/8 127.0.0.1
</Location>
<Directory {root}/apps/diff>
    Options ExecCGI
    AddHandler wsgi-script .wsgi
</Directory>
<Location /scripts-noexec>
    Options -ExecCGI
</Location>
<Location /auth>
    WSGIPassAuthorization On
</Location>
<Location /chunked>
    WSGIChunkedRequest On
</Location>
<Location /global>
    WSGIApplicationGroup %{GLOBAL}
</Location>
<Location /other-directive>
    WSGICallableObject other
</Location>
<Location /headget>
    WSGIMapHEADToGET On
</Location>
<Location /env>
    SetEnv DEMO_SETTING from-setenv
</Location>
<Location /proxied>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto
    WSGITrustedProxies 127.0.0.1
</Location>
<Location /untrusted>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto
    WSGITrustedProxies 192.0.2.1
</Location>
<Location /https-env>
    SetEnv HTTPS on
</Location>
<Location /override>
    WSGIErrorOverride On
</Location>
"""

COMPARED = ("Content-Type", "Location")


def R(name, method, path, status, headers=(), body=b"", version="HTTP/1.1", compare=(),
      known_bug=None):
    """A row; ``known_bug`` names a difference that is a bug of ours not fixed yet (the row is
    then an expected failure, and starts failing loudly once the bug is fixed)."""
    marks = [pytest.mark.xfail(strict=True, reason=known_bug)] if known_bug else []
    return pytest.param(dict(method=method, path=path, status=status, headers=list(headers),
                             body=body, version=version, compare=compare), id=name, marks=marks)


AUTH = ("Authorization", "Basic dXNlcjpwYXNz")
FORM = ("Content-Type", "application/x-www-form-urlencoded")
BIG = bytes(range(256)) * 800

ROWS = [
    # --- environ: SCRIPT_NAME / PATH_INFO / QUERY_STRING
    R("get-mount", "GET", "/echo", 200),
    R("get-mount-slash", "GET", "/echo/", 200),
    R("path-info", "GET", "/echo/a/b/c.txt", 200),
    R("query", "GET", "/echo/q?x=1&y=two&x=3", 200),
    R("query-empty-value", "GET", "/echo?flag&empty=", 200),
    R("query-encoded", "GET", "/echo/x?name=caf%C3%A9&plus=a+b&pct=%25", 200),
    R("path-encoded-utf8", "GET", "/echo/caf%C3%A9/%7Euser", 200),
    R("path-encoded-space", "GET", "/echo/a%20b", 200),
    R("path-encoded-slash", "GET", "/echo/a%2Fb", 404),
    R("path-double-slash", "GET", "/echo//a//b", 200),
    R("path-dot-segments", "GET", "/echo/a/../b/./c", 200),
    R("root-mount", "GET", "/elsewhere/x?y=1", 200),
    R("root-mount-root", "GET", "/", 200),
    R("mount-trailing-slash", "GET", "/slash/", 200),
    R("mount-prefix-not-segment", "GET", "/echoes", 200),
    R("alias-match", "GET", "/match/echo/x/y?z=1", 200),
    R("alias-match-missing", "GET", "/match/nosuch/x", 404),
    R("callable-object", "GET", "/other/p", 200),
    R("alias-inside-mount", "GET", "/app/static/note.txt", 200),
    R("callable-object-directive", "GET", "/other-directive/q", 200),
    R("application-group-global", "GET", "/global/g", 200),
    R("add-handler-script", "GET", "/scripts/echo.wsgi/extra/path?a=b", 200),
    R("add-handler-no-execcgi", "GET", "/scripts-noexec/echo.wsgi", 403),
    R("setenv", "GET", "/env/e", 200),
    R("trusted-proxy-headers", "GET", "/proxied", 200,
      [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"),
       ("X-Forwarded-Host", "untrusted.example")]),
    R("untrusted-proxy-headers", "GET", "/untrusted", 200,
      [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"),
       ("X-Real-IP", "203.0.113.10"), ("X-Forwarded-Host", "untrusted.example")]),
    R("setenv-https", "GET", "/https-env", 200),
    R("httpoxy-proxy-header-dropped", "GET", "/echo", 200, [("Proxy", "http://evil:1")]),
    # --- methods and request bodies
    R("head", "HEAD", "/echo/h", 200),
    R("head-generator", "HEAD", "/app/generator", 200),
    R("head-mapped-to-get", "HEAD", "/headget", 200),
    R("post-form", "POST", "/echo/f", 200, [FORM], b"a=1&b=%C3%A9"),
    R("post-empty", "POST", "/echo", 200, [("Content-Length", "0")]),
    R("post-no-length", "POST", "/echo", 200),
    R("post-binary-large", "POST", "/echo", 200, [("Content-Type", "application/octet-stream")],
      BIG),
    R("put-json", "PUT", "/echo/item/1", 200, [("Content-Type", "application/json")],
      b'{"a": [1, 2]}'),
    R("delete", "DELETE", "/echo/item/1", 200),
    R("options", "OPTIONS", "/echo", 200),
    R("patch-unknown-method", "PATCH", "/echo", 200, [], b"p"),
    R("post-chunked-refused", "POST", "/echo", 411, [("Transfer-Encoding", "chunked")],
      b"5\r\nhello\r\n0\r\n\r\n"),
    R("post-chunked-accepted", "POST", "/chunked", 200, [("Transfer-Encoding", "chunked")],
      b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    R("read-parts", "POST", "/app/read-parts", 200, [], b"abcdef\nghijklmnop\nq\nrest"),
    R("http-1.0", "GET", "/echo/old", 200, version="HTTP/1.0"),
    R("http-1.0-no-host", "GET", "/echo/nohost", 200, [("Host", None)], version="HTTP/1.0"),
    R("expect-100-continue", "POST", "/echo/x", 200, [("Expect", "100-continue")], b"body"),
    R("http-1.0-generator", "GET", "/app/generator", 200, version="HTTP/1.0"),
    # --- request headers
    R("custom-headers", "GET", "/echo", 200, [("X-Custom-Thing", "v1"), ("Accept", "*/*"),
                                              ("Cookie", "a=1; b=2")]),
    R("header-underscore-dropped", "GET", "/echo", 200, [("X_Under_Score", "dropped"),
                                                         ("X-Dash", "kept")]),
    R("header-repeated", "GET", "/echo", 200, [("X-Multi", "one"), ("X-Multi", "two")]),
    R("header-latin1-value", "GET", "/echo", 200, [("X-Name", "caf\xe9")]),
    R("content-type-on-get", "GET", "/echo", 200, [("Content-Type", "text/plain")]),
    R("authorization-hidden", "GET", "/echo", 200, [AUTH]),
    R("authorization-passed", "GET", "/auth/x", 200, [AUTH]),
    R("authorization-passed-option", "GET", "/authopt", 200, [AUTH]),
    # --- responses: status codes, redirects, framing
    R("status-204", "GET", "/app/status/204", 204),
    R("status-304", "GET", "/app/status/304", 304),
    R("status-404", "GET", "/app/status/404", 404),
    R("status-418", "GET", "/app/status/418", 418),
    R("status-503-custom-reason", "GET", "/app/status/503", 503),
    R("app-404-route", "GET", "/app/nothing", 404),
    R("redirect-absolute", "GET", "/app/redirect", 302),
    R("redirect-relative", "GET", "/app/redirect-relative", 301),
    R("location-with-200", "GET", "/app/location-200", 200),
    R("content-length-set", "GET", "/app/length", 200),
    R("content-length-cut", "GET", "/app/length-long", 200),
    R("content-length-short", "GET", "/app/length-short", 200),
    R("content-length-no-body", "GET", "/app/length-empty", 200),
    R("head-content-length-no-body", "HEAD", "/app/head-length", 200),
    R("get-content-length-body", "GET", "/app/head-length", 200),
    R("generator-fails-midway", "GET", "/app/generator-fails", 200),
    R("large-generator", "GET", "/app/big", 200),
    R("single-element-list", "GET", "/app/single", 200),
    R("generator-chunked", "GET", "/app/generator", 200),
    R("empty-body", "GET", "/app/empty", 200),
    R("write-callable", "GET", "/app/write", 200),
    R("file-wrapper", "GET", "/app/file", 200),
    R("no-content-type", "GET", "/app/no-content-type", 200),
    R("response-headers", "GET", "/app/headers", 200,
      compare=("Set-Cookie", "X-Latin-1", "Cache-Control")),
    # --- failures
    R("exception", "GET", "/app/exception", 500),
    R("exception-after-start", "GET", "/app/exception-after-start", 500),
    R("exc-info-replaces-headers", "GET", "/app/exc-info", 503),
    R("second-start-response", "GET", "/app/second-start", 500),
    R("header-with-newline", "GET", "/app/bad-header", 500),
    R("body-not-bytes", "GET", "/app/not-bytes", 500),
    R("error-override-404", "GET", "/override/status/404", 404),
    R("error-override-200", "GET", "/override/single", 200),
    R("missing-script", "GET", "/missing/x", 404),
    R("failing-import", "GET", "/broken", 500),
    # --- the mod_wsgi and apache modules, mod_wsgi's environ extras
    R("mod_wsgi-module", "GET", "/modules/mod_wsgi", 200),
    R("apache-module", "GET", "/modules/apache", 200),
    R("environ-extras", "GET", "/modules/environ/x?q=1", 200),
    R("environ-extras-root", "GET", "/modules", 200),
    R("forwarded-script-name-kept", "GET", "/modproxied/proxy", 200,
      [("X-Forwarded-Script-Name", "/x/")]),
    R("forwarded-for-ipv4-mapped", "GET", "/modproxied/proxy", 200,
      [("X-Forwarded-For", "203.0.113.9, ::ffff:10.0.0.9")]),
    R("dispatch-script-group", "GET", "/dispatched-echo/alpha/x", 200),
    R("dispatch-script-callable", "GET", "/dispatched/other/y", 200),
    R("error-document-request-uri", "GET", "/errdoc/missing?x=1", 200),
    R("error-document-request-uri-post", "POST", "/errdoc/form?y=2", 200, [FORM], b"a=1"),
    R("app-hop-by-hop-header", "GET", "/app/hop-by-hop", 500),
    R("app-interim-status", "GET", "/app/status-1xx", 500),
    R("forwarded-for-ipv4-mapped-client", "GET", "/modproxied/proxy", 200,
      [("X-Forwarded-For", "::ffff:203.0.113.7, 10.0.0.9")]),
]

# Rows where mod_wsgi 6 and this module differ on purpose: row id -> (reason, check of ours).
DIFFERENCES = {
    "app-hop-by-hop-header": (
        "PEP 3333: hop-by-hop headers are the server's; mod_wsgi passes the application's "
        "Connection header on, start_response here refuses it with ValueError (a 500)",
        lambda mine: mine[0] == "500 Internal Server Error"),
    "app-interim-status": (
        "a 1xx status as the final one breaks a kept-alive connection; mod_wsgi sends it, "
        "start_response here refuses statuses outside 200-599 with ValueError (a 500)",
        lambda mine: mine[0] == "500 Internal Server Error"),
    "second-start-response": (
        "PEP 3333 makes a second start_response() without exc_info an error; mod_wsgi lets the "
        "second call replace the first (the spec, interface.md section 6, asks for a 500)",
        lambda mine: mine[0] == "500 Internal Server Error"),
    "content-length-no-body": (
        "the application declares Content-Length: 10 and returns no body; Apache then rewrites "
        "the length to 0 under mod_wsgi (a short 200 that looks complete), while mod_wsgi_ext "
        "treats a short body as broken everywhere: the client sees the 200 head and a cut "
        "response",
        lambda mine: mine[0] == "200 OK" and mine[4] == "10" and mine[3] is False),
}


@pytest.fixture(scope="module")
def theirs(request):
    return module_server(request, CONF, module="mod_wsgi")


@pytest.fixture(scope="module")
def ours(request):
    return module_server(request, CONF)


def send(srv, row):
    head = ["%s %s %s" % (row["method"], row["path"], row["version"])]
    if ("Host", None) not in row["headers"]:
        head.append("Host: 127.0.0.1:%d" % srv.port)
    head += ["%s: %s" % h for h in row["headers"] if h[1] is not None]
    if row["body"] and not any(k.lower() in ("content-length", "transfer-encoding")
                               for k, _ in row["headers"]):
        head.append("Content-Length: %d" % len(row["body"]))
    if row["version"] == "HTTP/1.1":
        head.append("Connection: close")
    raw, _ = srv.raw(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + row["body"])
    return parse(raw, row["method"] == "HEAD")


def parse(raw, head_only):
    """(status, [(name, value)], body, complete) of a raw HTTP/1.x response read to EOF."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 100 "):      # Expect: 100-continue
        head, _, rest = rest.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 1)[1]     # with the reason phrase
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
    get = {k.lower(): v for k, v in headers}.get
    if head_only or status[:3] in ("204", "304"):
        return status, headers, rest, True
    if get("transfer-encoding") == "chunked":
        body, complete = b"", False
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                complete = True
                break
            body += rest[:size]
            rest = rest[size + 2:]
        return status, headers, body, complete
    if get("content-length") is not None:
        n = int(get("content-length"))
        return status, headers, rest[:n], len(rest) >= n
    return status, headers, rest, True


def normalise(srv, text):
    return (text.replace(srv.root, "{root}").replace("127.0.0.1:%d" % srv.port, "{host}")
            .replace("localhost:%d" % srv.port, "{localhost}")
            .replace('"%d"' % srv.port, '"{port}"'))


def outcome(srv, row):
    """(status, selected headers, body, complete, Content-Length) with roots/ports normalised.

    Bodies that name the server root or port differ in length between the two servers, so a
    Content-Length that matches the body is recorded as such, any other value as it is.
    """
    head_only = row["method"] == "HEAD"
    status, headers, body, complete = send(srv, row)
    names = [n.lower() for n in COMPARED + tuple(row["compare"])]
    selected = sorted((k.lower(), normalise(srv, v)) for k, v in headers if k.lower() in names)
    length = dict(headers).get("Content-Length")
    if length == str(len(body)) and not head_only:
        length = "<length of the body>"
    return status, selected, normalise(srv, body.decode("latin-1")), complete, length


@pytest.mark.parametrize("row", ROWS)
def test_same_answer(theirs, ours, row, request):
    reference = outcome(theirs, row)
    mine = outcome(ours, row)
    name = request.node.callspec.id
    if name in DIFFERENCES:
        reason, check = DIFFERENCES[name]
        assert reference != mine, "documented difference no longer exists: " + reason
        assert check(mine), reason
        return
    assert int(reference[0][:3]) == row["status"], "mod_wsgi itself gave an unexpected status"
    if reference[4] is None and mine[4] == "<length of the body>":
        # mod_wsgi chunks a response whose length the application did not give; we may give
        # the length where it is known (a one-element list): same bytes, better framing
        mine = mine[:4] + (None,)
    if mine != reference:
        pytest.fail("mod_wsgi (-) and mod_wsgi_ext (+) differ:\n" + "\n".join(
            difflib.unified_diff(render(reference), render(mine), lineterm="", n=2)))


def render(result):
    status, headers, body, complete, length = result
    return (["status %s%s" % (status, "" if complete else " (response cut short)")]
            + ["content-length: %s" % length]
            + ["%s: %s" % h for h in headers] + [""] + body.split("\n"))


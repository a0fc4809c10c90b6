"""The benchmark's scenarios: what each server of a scenario serves, and how wrk asks for it.

A scenario is one request measured against several servers ("variants") in the same sitting:
Apache on its own (a static file, or a static file behind one of Apache's C auth modules),
mod_wsgi 6 and mod_wsgi_ext.  Each variant is a ``Site``: the configuration lines to add to the
benchmark server's httpd.conf (``{root}`` is the server root, ``{group}`` the application group),
the extra Apache modules it loads and whether it loads a WSGI module at all.  The applications
and scripts live in bench/apps/ and are copied into every server root; the data files (the 64 KiB
file, htpasswd, the group file) are written by ``write_files``.

``reference`` names the variant the others are divided by besides mod_wsgi: the static file, or
the static file behind Apache's C module doing the same check.
"""

import base64
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")

HELLO = b"hello world\n"
BIG = bytes(range(256)) * 256                     # 64 KiB, as apps/big.wsgi
POST_SIZE = 1 << 20
USER, PASSWORD = "bench", "secret"
AUTH_HEADER = "Authorization: Basic " + base64.b64encode(
    ("%s:%s" % (USER, PASSWORD)).encode()).decode()


class Site:
    """One variant of a scenario.  ``kind``: "c" (no WSGI module), "mod_wsgi" or "ours"."""

    def __init__(self, label, kind, conf, modules=()):
        self.label = label
        self.kind = kind
        self.conf = conf
        self.modules = list(modules)


class Scenario:
    def __init__(self, name, title, path, sites, reference=None, expect=HELLO, exact=True,
                 headers=(), lua=None, post=None):
        self.name = name
        self.title = title
        self.path = path
        self.sites = sites
        self.reference = reference
        self.expect = expect          # the body (exact) or a part of it
        self.exact = exact
        self.headers = list(headers)  # for wrk -H
        self.lua = lua                # a wrk script (the POST body), or None
        self.post = post              # the same body, for the check before measuring

    def body_ok(self, body):
        return body == self.expect if self.exact else self.expect in body


def _wsgi(conf):
    return [Site("mod_wsgi", "mod_wsgi", conf), Site("ours", "ours", conf)]


def _mount(script, url="/app"):
    return "WSGIScriptAlias %s {root}/apps/%s\nWSGIApplicationGroup {group}\n" % (url, script)


def _protect(lines):
    return '<Location "/hello.txt">\n%s\n</Location>\n' % "\n".join("  " + ln for ln in lines)


BASIC = ['AuthType Basic', 'AuthName "bench"']
AUTH_SCRIPT = "{root}/apps/auth.py"
POST_LUA = ('wrk.method = "POST"\nwrk.body = string.rep("x", %d)\n'
            'wrk.headers["Content-Type"] = "application/octet-stream"\n' % POST_SIZE)

SCENARIOS = [
    Scenario("hello", "hello world", "/hello",
             [Site("static file", "c", "Alias /hello {root}/htdocs/hello.txt\n")]
             + _wsgi(_mount("hello.wsgi", "/hello")),
             reference="static file"),
    Scenario("64k", "64 KiB response", "/big",
             [Site("static file", "c", "Alias /big {root}/htdocs/big.bin\n")]
             + _wsgi(_mount("big.wsgi", "/big")),
             reference="static file", expect=BIG),
    Scenario("post", "1 MiB POST echoed", "/echo", _wsgi(_mount("echo.wsgi", "/echo")),
             expect=b"x" * POST_SIZE, post=b"x" * POST_SIZE, lua=POST_LUA),
    Scenario("basic", "static file, Basic auth", "/hello.txt", [
        Site("mod_authn_file", "c", _protect(
            BASIC + ["AuthBasicProvider file", "AuthUserFile {root}/htpasswd",
                     "Require valid-user"]), ["auth_basic", "authn_file", "authz_user"]),
    ] + [Site(s.label, s.kind, _protect(
        BASIC + ["AuthBasicProvider wsgi", "WSGIAuthUserScript " + AUTH_SCRIPT,
                 "Require valid-user"]), ["auth_basic", "authz_user"])
         for s in _wsgi("")], reference="mod_authn_file", headers=[AUTH_HEADER]),
    Scenario("group", "static file, Require group", "/hello.txt", [
        Site("mod_authz_groupfile", "c", _protect(
            BASIC + ["AuthBasicProvider file", "AuthUserFile {root}/htpasswd",
                     "AuthGroupFile {root}/groups", "Require group staff"]),
             ["auth_basic", "authn_file", "authz_groupfile"]),
    ] + [Site(s.label, s.kind, _protect(
        BASIC + ["AuthBasicProvider file", "AuthUserFile {root}/htpasswd",
                 "WSGIAuthGroupScript " + AUTH_SCRIPT, "Require wsgi-group staff"]),
        ["auth_basic", "authn_file"]) for s in _wsgi("")],
        reference="mod_authz_groupfile", headers=[AUTH_HEADER]),
    Scenario("access", "static file, access check", "/hello.txt", [
        Site("mod_authz_host", "c", _protect(["Require ip 127.0.0.1"])),
    ] + [Site(s.label, s.kind, _protect(["WSGIAccessScript " + AUTH_SCRIPT,
                                         "Require all granted"])) for s in _wsgi("")],
        reference="mod_authz_host"),
    Scenario("django", "Django template view", "/app/", _wsgi(_mount("django.wsgi")),
             expect=b"<h1>Benchmark</h1>", exact=False),
    Scenario("flask", "Flask JSON view", "/app/", _wsgi(_mount("flask.wsgi")),
             expect=b'"service":"bench"', exact=False),
]
BY_NAME = {s.name: s for s in SCENARIOS}


def write_files(root):
    """Everything any scenario refers to, into a server root (made world-readable by the
    caller: the children run as www-data)."""
    shutil.copytree(APPS, os.path.join(root, "apps"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    htdocs = os.path.join(root, "htdocs")
    os.makedirs(htdocs, exist_ok=True)
    files = {
        os.path.join(htdocs, "hello.txt"): HELLO,
        os.path.join(htdocs, "big.bin"): BIG,
        os.path.join(root, "htpasswd"): ("%s:{SHA}%s\n" % (USER, base64.b64encode(
            hashlib.sha1(PASSWORD.encode()).digest()).decode())).encode(),
        os.path.join(root, "groups"): ("staff: %s\n" % USER).encode(),
    }
    for path, data in files.items():
        with open(path, "wb") as f:
            f.write(data)

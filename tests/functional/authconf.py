"""The auth test site: one Apache configuration that mod_wsgi 6 and mod_wsgi_ext both serve.

``site_conf()`` mounts the echo application (``apps/auth_echo.wsgi``: prints REMOTE_USER and
AUTH_TYPE) under one URL per auth arrangement, each protected by the scripts in ``apps/auth/``;
``prepare(srv)`` writes the files the configuration refers to (an htpasswd file, a static directory
with an .htaccess) into the server root before the server starts.  ``fetch(srv, row)`` runs one
scenario and reduces the answer to what must be equal between the two modules: status, the
challenge (Digest's nonce and opaque left out, they are random), and the body of a 200.
"""
import base64
import hashlib
import os
import re
from collections import namedtuple

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

MODULES = ["auth_basic", "auth_digest", "auth_form", "session", "session_cookie", "request",
           "authn_file", "authz_user", "access_compat"]

ALL = "{root}/apps/auth/all.py"
NOTHING = "{root}/apps/auth/nothing.py"
BROKEN = "{root}/apps/auth/broken.py"


def _basic(realm="Wsgi Area", user_script=ALL, group_script=None):
    lines = ['AuthType Basic', 'AuthName "%s"' % realm, "AuthBasicProvider wsgi"]
    if user_script:
        lines.append("WSGIAuthUserScript " + user_script)
    if group_script:
        lines.append("WSGIAuthGroupScript " + group_script)
    return lines


AREAS = {
    "basic": _basic() + ["Require valid-user"],
    "chain": ['AuthType Basic', 'AuthName "Chain Area"', "AuthBasicProvider wsgi file",
              "AuthUserFile {root}/htpasswd", "WSGIAuthUserScript " + ALL, "Require valid-user"],
    "digest": ["AuthType Digest", 'AuthName "Digest Area"', "AuthDigestProvider wsgi",
               "WSGIAuthUserScript " + ALL, "Require valid-user"],
    "group": _basic(group_script=ALL) + ["Require wsgi-group staff admins"],
    "letters": _basic(group_script=ALL) + ["Require wsgi-group a"],
    "group-or-user": _basic(group_script=ALL) + ["Require user bob", "Require wsgi-group staff"],
    "ip-or-user": _basic() + ["<RequireAny>", "Require ip 127.0.0.1", "Require valid-user",
                              "</RequireAny>"],
    "otherip-or-user": _basic() + ["<RequireAny>", "Require ip 192.0.2.1", "Require valid-user",
                                   "</RequireAny>"],
    "all": _basic(group_script=ALL) + ["<RequireAll>", "Require valid-user",
                                       "Require wsgi-group staff", "</RequireAll>"],
    "all-not": _basic(group_script=ALL) + ["<RequireAll>", "Require valid-user",
                                           "Require not wsgi-group admins", "</RequireAll>"],
    "all-ip": _basic(group_script=ALL) + ["<RequireAll>", "Require ip 127.0.0.1",
                                          "Require wsgi-group staff", "</RequireAll>"],
    "access": ["WSGIAccessScript " + ALL, "Require all granted"],
    "access-all": ["WSGIAccessScript " + ALL] + _basic() + ["Require valid-user"],
    "access-any": ["WSGIAccessScript " + ALL] + _basic() + ["Require valid-user", "Satisfy Any"],
    "form": ["AuthType form", 'AuthName "Form Area"', "AuthFormProvider wsgi",
             "WSGIAuthUserScript " + ALL, "Session On", "SessionCookieName session path=/",
             "Require valid-user"],
    "no-user-script": _basic(user_script=None) + ["Require valid-user"],
    "no-group-script": _basic() + ["Require wsgi-group staff"],
    "nothing-user": _basic(user_script=NOTHING) + ["Require valid-user"],
    "nothing-digest": ["AuthType Digest", 'AuthName "Digest Area"', "AuthDigestProvider wsgi",
                       "WSGIAuthUserScript " + NOTHING, "Require valid-user"],
    "nothing-group": _basic(group_script=NOTHING) + ["Require wsgi-group staff"],
    "nothing-access": ["WSGIAccessScript " + NOTHING, "Require all granted"],
    "broken-user": _basic(user_script=BROKEN) + ["Require valid-user"],
    "broken-group": _basic(group_script=BROKEN) + ["Require wsgi-group staff"],
    "broken-access": ["WSGIAccessScript " + BROKEN, "Require all granted"],
}

HTACCESS = """AuthType Basic
AuthName "Htaccess Area"
AuthBasicProvider wsgi
WSGIAuthUserScript %(root)s/apps/auth/all.py
WSGIAuthGroupScript %(root)s/apps/auth/all.py
Require wsgi-group staff
"""


def site_conf():
    out = ["WSGIApplicationGroup %{GLOBAL}",
           "Alias /static {root}/htdocs",
           "<Directory {root}/htdocs>", "AllowOverride AuthConfig", "Require all granted",
           "</Directory>"]
    for name, lines in AREAS.items():
        out.append("WSGIScriptAlias /%s {root}/apps/auth_echo.wsgi" % name)
        out.append("<Location /%s>" % name)
        out += ["  " + line for line in lines]
        out.append("</Location>")
    return "\n".join(out) + "\n"


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.chmod(os.path.dirname(path), 0o755)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def sha_entry(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return "%s:{SHA}%s\n" % (user, digest)


def prepare(srv):
    """Files the site refers to, written into the (not yet started) server's root."""
    _write(os.path.join(srv.root, "htpasswd"),
           sha_entry("ghost", "secret") + sha_entry("alice", "other"))
    _write(os.path.join(srv.root, "htdocs", "private", "page.txt"), "private page\n")
    _write(os.path.join(srv.root, "htdocs", "open", "page.txt"), "open page\n")
    _write(os.path.join(srv.root, "htdocs", "private", ".htaccess"), HTACCESS % {"root": srv.root})
    return srv


Row = namedtuple("Row", "name path auth expect ours why")


def R(name, path, auth=None, expect=200, ours=None, why=None):
    """A scenario: mod_wsgi answers `expect`; so do we, unless `ours` (with the reason `why`)
    records an intentional difference."""
    assert (ours is None) == (why is None)
    return Row(name, path, auth, expect, ours, why)


def basic(user, password="secret"):
    return ("basic", user, password)


def digest(user, password="secret"):
    return ("digest", user, password)


def form(user, password="secret"):
    return ("form", user, password)


def _challenge(value):
    if not value:
        return None
    if value.startswith("Digest"):
        value = re.sub(r'\s*(nonce|opaque)="[^"]*",?', "", value)
    return value


def fetch(srv, row):
    """(status, challenge, body of a 200) for one scenario."""
    url = srv.url(row.path)
    kind = row.auth[0] if row.auth else None
    if kind == "form":
        resp = requests.post(url, data={"httpd_username": row.auth[1],
                                        "httpd_password": row.auth[2]}, timeout=10)
    else:
        auth = None
        if kind == "basic":
            auth = HTTPBasicAuth(row.auth[1].encode("utf-8"), row.auth[2].encode("utf-8"))
        elif kind == "digest":
            auth = HTTPDigestAuth(row.auth[1], row.auth[2])
        resp = requests.get(url, auth=auth, timeout=10)
    body = resp.content if resp.status_code == 200 else None
    return resp.status_code, _challenge(resp.headers.get("WWW-Authenticate")), body

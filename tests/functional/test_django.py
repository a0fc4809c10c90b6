"""A real Django project (tests/functional/apps/djsite) served by a real Apache, both MPMs.

Mounted the way the Django docs say: ``WSGIScriptAlias / .../djsite/wsgi.py`` with the project
on ``WSGIPythonPath``, and ``Alias /static/`` so Apache (not Django, DEBUG is off) serves the
static files.  Sessions live in an SQLite database in a directory the Apache children's user can
write.  Cookies are kept by a ``requests.Session``, as a browser would.
"""
import os
import pwd
import re
import subprocess
import sys

import pytest
import requests

from functional.server import Apache

CONF = """
WSGIPythonPath {root}/apps/djsite
WSGIScriptAlias / {root}/apps/djsite/djsite/wsgi.py
Alias /static/ {root}/apps/djsite/static/
<Directory {root}/apps/djsite/djsite>
    <Files wsgi.py>
        Require all granted
    </Files>
</Directory>
"""


def _writable_by_children(path):
    """Hand the database directory to the user the Apache children run as (when root)."""
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam("www-data")
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), pw.pw_uid, pw.pw_gid)


# the same site in a daemon process group (python-path instead of WSGIPythonPath)
DAEMON_CONF = CONF.replace(
    "WSGIPythonPath {root}/apps/djsite\n",
    "WSGIDaemonProcess dj threads=4 python-path={root}/apps/djsite\nWSGIProcessGroup dj\n")


@pytest.fixture(scope="module", params=["prefork", "event", "event-daemon"])
def site(request):
    mpm, _, mode = request.param.partition("-")
    srv = Apache(DAEMON_CONF if mode == "daemon" else CONF, mpm=mpm)
    request.addfinalizer(srv.cleanup)
    proj = os.path.join(srv.root, "apps", "djsite")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=proj,
                   check=True)
    _writable_by_children(os.path.join(proj, "var"))
    return srv.start()


def test_template_rendered(site):
    r = requests.get(site.url("/"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Django under mod_wsgi_ext</h1>" in r.text
    assert "<p>path=/</p>" in r.text
    assert '<link rel="stylesheet" href="/static/css/site.css">' in r.text


def test_url_parameter_and_query_string(site):
    r = requests.get(site.url("/greet/Zo%C3%AB/"), params={"lang": "fr"})
    assert r.status_code == 200
    assert '<p class="greeting">Hello, Zoë! (fr)</p>' in r.text


def test_common_middleware_redirects_to_trailing_slash(site):
    r = requests.get(site.url("/greet/bob"), allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"] == "/greet/bob/"


def test_static_files_served_by_apache(site):
    r = requests.get(site.url("/static/css/site.css"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/css"
    assert "served by Apache through Alias /static/" in r.text
    # Django, with DEBUG off, would have answered 404 for a missing static file just the same;
    # the Apache error page tells who answered.
    r = requests.get(site.url("/static/css/missing.css"))
    assert r.status_code == 404
    assert "The requested URL was not found on this server" in r.text


def test_csrf_protected_form(site):
    s = requests.Session()
    r = s.get(site.url("/form/"))
    assert r.status_code == 200
    cookie = s.cookies.get("csrftoken")
    assert cookie
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)
    r = s.post(site.url("/form/"), data={"csrfmiddlewaretoken": token, "message": "héllo & bye"})
    assert r.status_code == 200
    assert '<p id="thanks">Thanks for: héllo &amp; bye</p>' in r.text
    # the header form of the token works too (what JavaScript clients send)
    r = s.post(site.url("/form/"), data={"message": "ajax"}, headers={"X-CSRFToken": cookie})
    assert r.status_code == 200
    assert "Thanks for: ajax" in r.text


def test_csrf_rejects_post_without_token(site):
    s = requests.Session()
    s.get(site.url("/form/"))
    r = s.post(site.url("/form/"), data={"message": "forged"})
    assert r.status_code == 403
    assert "Thanks" not in r.text
    r = requests.post(site.url("/form/"), data={"message": "no cookie either"})
    assert r.status_code == 403


def test_session_counter(site):
    s = requests.Session()
    assert [s.get(site.url("/counter/")).text for _ in range(4)] == [
        "count=1", "count=2", "count=3", "count=4"]
    assert s.cookies.get("sessionid")
    # another client has its own session
    assert requests.get(site.url("/counter/")).text == "count=1"
    # flushing the session (a write and a redirect) starts again
    r = s.get(site.url("/counter/"), params={"reset": "1"})
    assert r.history and r.history[0].status_code == 302
    assert r.text == "count=1"


def test_database_written_by_apache_children(site):
    s = requests.Session()
    s.get(site.url("/counter/"))
    key = s.cookies.get("sessionid")
    db = os.path.join(site.root, "apps", "djsite", "var", "db.sqlite3")
    import sqlite3
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT COUNT(*) FROM django_session WHERE session_key = ?",
                           (key,)).fetchone()
    assert rows == (1,)


def test_environ_seen_by_django(site):
    r = requests.get(site.url("/environ/"), params={"a": "1"})
    assert r.json() == {
        "SCRIPT_NAME": "", "PATH_INFO": "/environ/", "REQUEST_METHOD": "GET",
        "QUERY_STRING": "a=1", "wsgi.url_scheme": "http",
        "mod_wsgi.application_group": "localhost:%d|" % site.port,
        "build_absolute_uri": site.url("/environ/?a=1"),
    }


def test_django_404_and_500_pages(site):
    r = requests.get(site.url("/no/such/page/"))
    assert r.status_code == 404
    assert "Not Found" in r.text
    r = requests.get(site.url("/boom/"))
    assert r.status_code == 500
    assert "Server Error (500)" in r.text
    assert site.wait_log("ValueError: a view that fails")


def test_disallowed_host_is_400(site):
    r = requests.get(site.url("/"), headers={"Host": "evil.example"})
    assert r.status_code == 400

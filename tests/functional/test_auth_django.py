"""Django's own mod_wsgi auth handler (django.contrib.auth.handlers.modwsgi) as the
WSGIAuthUserScript and WSGIAuthGroupScript of a static directory, against a SQLite user database
made with Django's migrations: the set-up Django documents for mod_wsgi, unchanged.
"""
import os
import subprocess
import sys
import textwrap

import pytest
import requests

from functional import authconf
from functional.server import Apache

pytest.importorskip("django", reason="Django is needed for its mod_wsgi auth handler")

SETTINGS = """
SECRET_KEY = "test-only"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": %(db)r}}
USE_TZ = True
"""

# the auth script as Django's "How to authenticate against Django's user database from Apache"
# writes it
AUTH_SCRIPT = """
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

import django
django.setup()

from django.contrib.auth.handlers.modwsgi import check_password, groups_for_user  # noqa: E402
"""

MAKE_USERS = """
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import Group, User
call_command("migrate", verbosity=0)
editors = Group.objects.create(name="editors")
Group.objects.create(name="readers")
User.objects.create_user("editor", password="editor-pw").groups.add(editors)
User.objects.create_user("reader", password="reader-pw").groups.add(
    Group.objects.get(name="readers"))
gone = User.objects.create_user("gone", password="gone-pw")
gone.groups.add(editors)
gone.is_active = False
gone.save()
"""

CONF = """
Alias /docs {root}/htdocs/open
<Location /docs>
  AuthType Basic
  AuthName "Django editors"
  AuthBasicProvider wsgi
  WSGIAuthUserScript {root}/django/auth.wsgi
  WSGIAuthGroupScript {root}/django/auth.wsgi
  Require wsgi-group editors
</Location>
Alias /members {root}/htdocs/open
<Location /members>
  AuthType Basic
  AuthName "Django users"
  AuthBasicProvider wsgi
  WSGIAuthUserScript {root}/django/auth.wsgi
  Require valid-user
</Location>
"""


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.chmod(os.path.dirname(path), 0o755)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    os.chmod(path, 0o644)


@pytest.fixture(scope="module")
def srv(request):
    server = authconf.prepare(Apache(CONF, modules=authconf.MODULES))
    request.addfinalizer(server.cleanup)
    site = os.path.join(server.root, "django")
    db = os.path.join(site, "users.sqlite3")
    _write(os.path.join(site, "authsite", "__init__.py"), "")
    _write(os.path.join(site, "authsite", "settings.py"), SETTINGS % {"db": db})
    _write(os.path.join(site, "auth.wsgi"), AUTH_SCRIPT)
    subprocess.run([sys.executable, "-P", "-c", MAKE_USERS], cwd=site, check=True,
                   env=dict(os.environ, DJANGO_SETTINGS_MODULE="authsite.settings",
                            PYTHONPATH=site))
    os.chmod(site, 0o777)            # SQLite wants to write its journal next to the database
    os.chmod(db, 0o666)
    return server.start()


@pytest.mark.parametrize("path, auth, status", [
    ("/docs/page.txt", None, 401),
    ("/docs/page.txt", ("editor", "editor-pw"), 200),
    ("/docs/page.txt", ("editor", "wrong"), 401),
    ("/docs/page.txt", ("reader", "reader-pw"), 401),      # valid user, not an editor
    ("/docs/page.txt", ("gone", "gone-pw"), 401),          # inactive: Django answers None
    ("/docs/page.txt", ("nobody", "x"), 401),
    ("/members/page.txt", ("reader", "reader-pw"), 200),
    ("/members/page.txt", ("gone", "gone-pw"), 401),
])
def test_django_users_and_groups_protect_a_static_directory(srv, path, auth, status):
    resp = requests.get(srv.url(path), auth=auth)
    assert resp.status_code == status
    if status == 200:
        assert resp.text == "open page\n"
    else:
        assert resp.headers["WWW-Authenticate"] == 'Basic realm="Django %s"' % (
            "editors" if path.startswith("/docs") else "users")


def test_django_answers_reach_the_error_log_as_apaches_reasons(srv):
    requests.get(srv.url("/members/page.txt"), auth=("nobody", "x"))
    requests.get(srv.url("/members/page.txt"), auth=("editor", "wrong"))
    assert srv.wait_log("user nobody not found")            # None: unknown user
    assert srv.wait_log("user editor: authentication failure")  # False: wrong password

"""Functional fixtures: real Apache servers loading the module built from this tree.

``apache(conf, mpm=..., ...)`` starts a server (see server.py) that is stopped and removed after
the test; module-scoped variants live in the test modules that share one server between tests.
"""
import os
import shutil
import tempfile

import pytest

from functional.server import Apache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session", autouse=True)
def built_module():
    """The module built from this tree (tests/conftest.py installs it before collection)."""
    if shutil.which("apache2") is None and not os.path.exists("/usr/sbin/apache2"):
        pytest.exit("apache2 is not installed (apt-get install apache2 apache2-dev)", 2)
    import mod_wsgi_ext.cli
    return mod_wsgi_ext.cli.module_path()


@pytest.fixture
def apache(request):
    servers = []
    request.node._wx_servers = servers

    def start(conf="", start=True, **kw):
        srv = Apache(conf, **kw)
        servers.append(srv)
        return srv.start() if start else srv

    yield start
    for srv in servers:
        srv.cleanup()


def module_server(request, conf, **kw):
    """For module-scoped fixtures: start a server and register its cleanup."""
    srv = Apache(conf, **kw).start()
    request.addfinalizer(srv.cleanup)
    return srv


@pytest.fixture
def workdir():
    """A world-readable scratch directory for CLI tests (removed afterwards)."""
    d = tempfile.mkdtemp(prefix="wx-cli-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def victim():
    """A root-owned file in a root-owned directory: what another user wants root to write to."""
    d = tempfile.mkdtemp(prefix="wx-victim-")
    path = os.path.join(d, "precious.conf")
    with open(path, "w") as f:
        f.write("original\n")
    yield path
    shutil.rmtree(d, ignore_errors=True)

"""Functional fixtures: build the module from this tree once, then start real Apache servers.

``apache(conf, mpm=..., ...)`` starts a server (see server.py) that is stopped and removed after
the test; module-scoped variants live in the test modules that share one server between tests.
"""
import os
import shutil
import subprocess
import sys

import pytest

from functional.server import Apache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session", autouse=True)
def built_module():
    """Build and install the module from this tree into the running Python's environment."""
    if shutil.which("apache2") is None and not os.path.exists("/usr/sbin/apache2"):
        pytest.exit("apache2 is not installed (apt-get install apache2 apache2-dev)", 2)
    if os.environ.get("WX_SKIP_BUILD") != "1":
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation",
                        "--no-deps", "--force-reinstall", ROOT], check=True,
                       stdout=subprocess.DEVNULL)
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

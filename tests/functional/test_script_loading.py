"""A WSGI script runs once per process, and again only when it changes (WSGIScriptReloading).

A script preloaded with WSGIImportScript must not run a second time on the first request, and an
edited script must be picked up by the next request.
"""
import os
import time
import urllib.request

import pytest

from functional.conftest import module_server

VERSION = '''def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"version %d"]
'''


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, (
        "WSGIImportScript {root}/apps/counted.wsgi process-group=%{GLOBAL} "
        "application-group=%{GLOBAL}\n"
        "WSGIScriptAlias /counted {root}/apps/counted.wsgi application-group=%{GLOBAL}\n"
        "WSGIScriptAlias /edited {root}/apps/edited.wsgi\n"), mpm="prefork", processes=1)


def get(srv, path):
    with urllib.request.urlopen(srv.url(path)) as resp:
        return resp.read()


def test_preloaded_script_is_not_run_again(srv):
    for _ in range(5):
        assert get(srv, "/counted") == b"loads=1"


def test_edited_script_is_reloaded(srv):
    path = os.path.join(srv.root, "apps", "edited.wsgi")
    for version in (1, 2):
        with open(path, "w") as f:
            f.write(VERSION % version)
        os.chmod(path, 0o644)
        stamp = time.time() + 10 * version      # an mtime that certainly differs
        os.utime(path, (stamp, stamp))
        for _ in range(3):
            assert get(srv, "/edited") == b"version %d" % version

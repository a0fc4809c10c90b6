"""The harness itself: the module loads into a real Apache and serves a request (both MPMs)."""
import urllib.request

import pytest


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_hello_world(apache, mpm):
    srv = apache("WSGIScriptAlias /hello {root}/apps/hello.wsgi\n", mpm=mpm)
    with urllib.request.urlopen(srv.url("/hello")) as resp:
        assert resp.status == 200
        assert resp.read() == b"hello world\n"
        assert resp.headers["Content-Length"] == "12"

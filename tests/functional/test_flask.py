"""A real Flask application (tests/functional/apps/flaskapp/shop.py) behind a real Apache.

Mounted below ``/shop`` so that Flask's ``script_root``, ``url_for`` and redirects show that
SCRIPT_NAME and PATH_INFO are split correctly.  Both MPMs, one server per MPM.
"""
import pytest
import requests

from functional.conftest import module_server

CONF = "WSGIScriptAlias /shop {root}/apps/flaskapp/shop.wsgi\n"


@pytest.fixture(scope="module", params=["prefork", "event"])
def shop(request):
    return module_server(request, CONF, mpm=request.param)


def test_url_parameters(shop):
    r = requests.get(shop.url("/shop/hello/Ada"))
    assert (r.status_code, r.text) == (200, "Hello, Ada!")
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    r = requests.get(shop.url("/shop/items/1"))
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "teapot", "price": 12.5}


def test_script_root_and_url_for(shop):
    r = requests.get(shop.url("/shop/where"), params={"q": "x y"})
    assert r.json() == {"script_root": "/shop", "path": "/where",
                        "url": shop.url("/shop/where?q=x+y"),
                        "url_for_item": shop.url("/shop/items/7")}


def test_json_request_and_response(shop):
    payload = {"name": "kettle", "sizes": [1, 2], "note": "ünïcode"}
    r = requests.post(shop.url("/shop/api/echo"), json=payload)
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["received"] == payload
    assert body["content_type"] == "application/json"
    assert body["length"] == len(r.request.body)


def test_form_post(shop):
    r = requests.post(shop.url("/shop/form"), data=[("name", "Grace Hopper"), ("tag", "a"),
                                                   ("tag", "b&c")])
    assert (r.status_code, r.text) == (200, "name=Grace Hopper tags=a,b&c")
    r = requests.put(shop.url("/shop/form"))
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST",
                                                                    "OPTIONS"}


def test_redirect_keeps_mount_point(shop):
    r = requests.get(shop.url("/shop/old"), allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == "/shop/hello/redirected"
    r = requests.get(shop.url("/shop/old"))
    assert r.text == "Hello, redirected!"


def test_flask_404(shop):
    for path in ("/shop/nothing-here", "/shop/items/99", "/shop/items/abc"):
        r = requests.get(shop.url(path))
        assert r.status_code == 404
        assert r.json() == {"error": "not found", "path": path[len("/shop"):]}


def test_custom_error_handler(shop):
    r = requests.post(shop.url("/shop/items/1/buy"))
    assert r.status_code == 409
    assert r.json() == {"error": "out of stock", "item": 1}


def test_unhandled_exception_is_500_and_logged(shop):
    r = requests.get(shop.url("/shop/crash"))
    assert r.status_code == 500
    assert "Internal Server Error" in r.text
    assert "ZeroDivisionError" not in r.text
    assert shop.wait_log("ZeroDivisionError")


def test_streaming_response(shop):
    with requests.get(shop.url("/shop/stream"), params={"n": 300, "tag": "t"},
                      stream=True) as r:
        assert r.status_code == 200
        assert "Content-Length" not in r.headers
        assert r.headers["Transfer-Encoding"] == "chunked"
        lines = list(r.iter_lines())
    assert len(lines) == 300
    assert lines[0] == b"line 1 of 300 (t)"
    assert lines[-1] == b"line 300 of 300 (t)"


def test_head_request(shop):
    r = requests.head(shop.url("/shop/hello/Ada"))
    assert r.status_code == 200
    assert r.text == ""
    assert r.headers["Content-Length"] == "11"

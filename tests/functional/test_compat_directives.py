"""Issue 10's directives and request rules in a real Apache: WSGIRestrictStdin/Stdout,
WSGIDispatchScript, REQUEST_URI after an internal redirect (ErrorDocument), and start_response
refusing hop-by-hop headers and impossible statuses."""
import json
import urllib.error
import urllib.request

import pytest

from functional.conftest import module_server

CONF = r"""
WSGIRestrictStdin On
WSGIRestrictStdout On
WSGIDispatchScript {root}/apps/compat10/dispatch.py
WSGIScriptAlias /d {root}/apps/compat10/probe.wsgi
WSGIScriptAlias /errors {root}/apps/compat10/probe.wsgi
WSGIScriptAlias /h {root}/apps/compat10/headers.wsgi
Alias /files {root}/apps/compat10
ErrorDocument 404 /errors/page
ErrorDocument 403 /errors/forbidden
<Location /files/forbidden>
    Require all denied
</Location>
"""


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param)


def get(srv, path, data=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(srv.url(path), data=data),
                                    timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_restricted_stdin_and_stdout(srv):
    status, body = get(srv, "/d/a/x")
    info = json.loads(body)
    assert status == 200
    assert info["stdin"] == "mod_wsgi.Restricted" and info["stdout"] == "mod_wsgi.Restricted"
    assert info["stdin_read"].startswith("OSError: sys.stdin access restricted")
    assert info["print"].startswith("OSError: sys.stdout access restricted")


def test_dispatch_script_chooses_group_and_callable(srv):
    assert json.loads(get(srv, "/d/alpha/x")[1])["group"] == "disp-alpha"
    assert json.loads(get(srv, "/d/beta/x")[1])["group"] == "disp-beta"
    assert json.loads(get(srv, "/d/global/x")[1])["group"] == ""
    assert get(srv, "/d/alpha/other") == (200, b"other callable in disp-alpha")
    # nothing returned: the configured group (%{RESOURCE}) stays
    assert json.loads(get(srv, "/d")[1])["group"] == "localhost:%d|/d" % srv.port


def test_failing_dispatch_script_is_a_500_with_traceback(srv):
    assert get(srv, "/d/fail/x")[0] == 500
    srv.wait_log("RuntimeError: dispatch failing on purpose")
    assert get(srv, "/d/alpha/x")[0] == 200       # the server keeps serving


@pytest.mark.parametrize("path", ["/no/such/file?q=1", "/files/forbidden?x=2"])
def test_request_uri_after_error_document_is_the_original(srv, path):
    code, body = get(srv, path)
    info = json.loads(body)
    assert code == 200          # the error page's application chose 200 (as under mod_wsgi)
    assert info["script_name"] == "/errors"
    assert info["request_uri"] == path                # as CGI and mod_wsgi
    assert info["redirect_url"] == path.split("?")[0]


def test_request_uri_after_error_document_for_a_post(srv):
    code, body = get(srv, "/no/such/form?a=b", data=b"x=1")
    assert code == 200
    assert json.loads(body)["request_uri"] == "/no/such/form?a=b"


@pytest.mark.parametrize("header", ["Connection:close", "Keep-Alive:timeout=5",
                                    "Transfer-Encoding:chunked", "TE:trailers",
                                    "Trailer:X-Sum", "Upgrade:websocket",
                                    "Proxy-Authenticate:Basic", "Proxy-Authorization:Basic x",
                                    "connection:close"])
def test_hop_by_hop_headers_from_the_application_are_refused(srv, header):
    code, body = get(srv, "/h?h=" + urllib.request.quote(header))
    assert code == 500
    assert b"body from the application" not in body
    srv.wait_log("refused: ")
    assert get(srv, "/h?h=X-Fine:yes") == (200, b"body from the application")


@pytest.mark.parametrize("status", ["100 Continue", "101 Switching Protocols", "199 Odd",
                                    "600 Beyond", "999 Nope"])
def test_statuses_outside_200_to_599_are_refused(srv, status):
    code, body = get(srv, "/h?s=" + urllib.request.quote(status))
    assert code == 500
    # the connection stays usable: a clean 500, then the next request on a new one works
    assert get(srv, "/h?s=201%20Created") == (201, b"body from the application")


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_server_metrics_and_verbose_debugging(apache, mpm):
    srv = apache("WSGIServerMetrics On\nWSGIVerboseDebugging On\n"
                 "WSGIScriptAlias /api {root}/apps/modwsgi_api.wsgi\n", mpm=mpm)
    code, body = get(srv, "/api/metrics")
    assert code == 200
    board = json.loads(body)["server"]
    assert board["server_limit"] >= 1 and board["thread_limit"] >= 1
    assert board["running_time"] >= 0
    workers = [w for p in board["processes"] for w in p["workers"]]
    assert board["processes"] and all(p["pid"] > 0 for p in board["processes"])
    # the request asking is on the scoreboard, being served (its request line and client only
    # with ExtendedStatus On, as for mod_status)
    busy = [w for w in workers if w["status"] == "W"]
    assert busy, workers
    assert {"access_count", "bytes_served", "client", "request", "vhost", "start_time",
            "last_used", "thread_num", "generation"} <= set(busy[0])
    srv.wait_log("runs in the sub-interpreter 'localhost:%d|/api' in embedded mode, "
                 "callable 'application'" % srv.port)
    log = srv.log()
    for name in ("WSGIServerMetrics", "WSGIVerboseDebugging"):
        assert "%s is accepted for mod_wsgi compatibility; no effect" % name not in log


def test_verbose_debugging_off_logs_nothing_per_request(apache):
    srv = apache("WSGIScriptAlias /api {root}/apps/modwsgi_api.wsgi\n")
    code, body = get(srv, "/api/metrics")
    assert code == 200 and json.loads(body)["server"] is None
    assert "runs in the" not in srv.log()

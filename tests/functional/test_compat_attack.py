"""Issue 10 under hostile use, in a real Apache (prefork and event): ErrorDocument pages for
requests Apache could not parse (REQUEST_URI), WSGIDispatchScript returning wrong things, the
metrics and events API called from threads and outside requests (and across a graceful restart),
and proxy headers and response headers that try to get past the checks."""
import http.client
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from functional.conftest import module_server

CONF = r"""
WSGIServerMetrics On
WSGIScriptAlias /app {root}/apps/attackcp/app.wsgi
WSGIScriptAlias /err {root}/apps/attackcp/plain.wsgi
WSGIScriptAlias /disp {root}/apps/attackcp/plain.wsgi
WSGIScriptAlias /proxy {root}/apps/attackcp/plain.wsgi
<Location /disp>
    WSGIDispatchScript {root}/apps/attackcp/dispatch.py
</Location>
<Location /proxy>
    WSGITrustedProxyHeaders X-Forwarded-For X-Script-Name
    WSGITrustedProxies 127.0.0.1 10.0.0.0/8
</Location>
ErrorDocument 400 /err/bad-request
ErrorDocument 404 /err/not-found
"""


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param)


def get(srv, path, headers=None, data=None):
    req = urllib.request.Request(srv.url(path), data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def no_crash(srv):
    log = srv.log()
    assert "Segmentation fault" not in log and "exit signal" not in log, log[-3000:]


@pytest.mark.parametrize("line", [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n",
                                  b"GET /x HTTP/1.1 extra\r\n\r\n", b"\x01\x02 / HTTP/1.1\r\n\r\n"])
def test_error_document_for_an_unparsable_request(srv, line):
    """An ErrorDocument 400 served by a WSGI app for a request line Apache could not parse: the
    original request has no URI, so the page gets an empty REQUEST_URI, not a dead child."""
    data, _ = srv.raw(line)
    assert data.startswith(b"HTTP/1.1 "), data[:200]     # the page's app chose its status
    body = data.split(b"\r\n\r\n", 1)[1]
    assert isinstance(json.loads(body)["REQUEST_URI"], str)
    no_crash(srv)
    assert get(srv, "/err/x")[0] == 200


def test_error_document_chain_request_uri(srv):
    """A 404 whose error page fails (500, whose ErrorDocument is served again by the app): the
    URI the client asked for, all the way down."""
    code, body = get(srv, "/no/such/thing?a=1")
    assert code == 200          # the error page's application chose 200
    assert json.loads(body)["REQUEST_URI"] == "/no/such/thing?a=1"
    no_crash(srv)


@pytest.mark.parametrize("path", ["/disp/int", "/disp/nonlatin", "/disp/exit",
                                  "/disp/nocallable", "/disp/nosuchgroup"])
def test_dispatch_script_returning_wrong_things_is_a_500(srv, path):
    code, _ = get(srv, path)
    assert code == 500
    assert get(srv, "/disp/ok")[0] == 200
    no_crash(srv)


def test_dispatch_script_bytes_callable_not_latin1_decodable(srv):
    assert get(srv, "/disp/badcallable")[0] == 500
    no_crash(srv)


def test_dispatch_script_huge_and_nul_group(srv):
    code, body = get(srv, "/disp/huge")
    assert code == 200 and len(json.loads(body)["mod_wsgi.application_group"]) == 1 << 20
    code, body = get(srv, "/disp/nul")
    assert code in (200, 500)
    no_crash(srv)


def test_metrics_from_threads_and_outside_requests(srv):
    assert get(srv, "/app/start")[0] == 200
    for _ in range(3):
        code, body = get(srv, "/app/threads")
        assert code == 200 and json.loads(body)["errors"] == []
    assert get(srv, "/app/background")[0] == 200
    time.sleep(0.5)
    code, body = get(srv, "/app/metrics")
    assert code == 200
    assert json.loads(body)["server"]["procs"] >= 1
    no_crash(srv)


def test_request_data_from_a_thread_after_its_request(srv):
    for _ in range(5):
        assert get(srv, "/app/data")[0] == 200
        assert get(srv, "/app/background")[0] == 200
    time.sleep(1)
    no_crash(srv)


def test_hostile_subscriber(srv):
    for _ in range(10):
        assert get(srv, "/app/x")[0] == 200
    assert srv.wait_log("subscriber failing on purpose")
    # BaseException from a subscriber: before the app, a 500; after the response, the
    # response stands (or the connection is cut); the server keeps serving either way
    assert get(srv, "/app/sysexit")[0] == 500
    try:
        get(srv, "/app/kbd")
    except (ConnectionError, urllib.error.URLError, http.client.HTTPException):
        pass
    assert get(srv, "/app/x")[0] == 200
    no_crash(srv)


def test_server_metrics_across_graceful_restart(srv):
    srv.graceful()
    deadline = time.time() + 15
    seen = set()
    while time.time() < deadline:
        try:
            code, body = get(srv, "/app/metrics")
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
            continue
        if code == 200 and json.loads(body)["server"]:
            seen.update(json.loads(body)["server"]["gens"])
            if max(seen) >= 1:
                break
        time.sleep(0.1)
    assert seen and max(seen) >= 1, seen
    for _ in range(5):
        assert get(srv, "/app/metrics")[0] == 200
    no_crash(srv)


def test_active_requests_under_concurrency(srv):
    """Two requests in flight: under event (one process) active_requests has both; under prefork
    each process has only its own."""
    import threading
    t = threading.Thread(target=get, args=(srv, "/app/sleep"))
    t.start()
    time.sleep(0.5)
    code, body = get(srv, "/app/active")
    t.join()
    info = json.loads(body)
    assert info["active"] == (1 if srv.mpm == "prefork" else 2), info
    assert "" not in info["ids"], info


@pytest.mark.parametrize("xff,addr", [("1.2.3.4, ::ffff:10.0.0.9", "1.2.3.4"),
                                      ("1.2.3.4, ::FFFF:10.0.0.9", "1.2.3.4"),
                                      ("1.2.3.4, ::ffff:a00:9", "1.2.3.4"),
                                      ("1.2.3.4, ::ffff:11.0.0.9", "::ffff:11.0.0.9"),
                                      ("1.2.3.4,::ffff:10.0.0.9 , 10.1.1.1", "1.2.3.4")])
def test_forwarded_for_with_ipv4_mapped_hops(srv, xff, addr):
    code, body = get(srv, "/proxy/x", {"X-Forwarded-For": xff})
    assert code == 200 and json.loads(body)["REMOTE_ADDR"] == addr


@pytest.mark.parametrize("xff", ["::ffff:10.0.0.9", "::ffff:10.0.0.9%eth0", "[::ffff:10.0.0.9]",
                                 "::ffff:999.0.0.1", "1.2.3.4:80", "::ffff:0a00:0009",
                                 ", ,,,", "x" * 7000])
def test_odd_forwarded_for(srv, xff):
    code, body = get(srv, "/proxy/x", {"X-Forwarded-For": xff})
    assert code == 200
    info = json.loads(body)
    assert info["REMOTE_ADDR"]
    no_crash(srv)


def test_huge_forwarded_for_list(srv):
    xff = ", ".join("10.0.%d.%d" % (i // 250, i % 250) for i in range(700))
    code, body = get(srv, "/proxy/x", {"X-Forwarded-For": xff})
    assert code == 200
    assert json.loads(body)["REMOTE_ADDR"] == "127.0.0.1" or \
        json.loads(body)["REMOTE_ADDR"].startswith("10.")


@pytest.mark.parametrize("value", [b"/a/../../etc", b"/x\xe9y", b"relative", b"/a/b/"])
def test_odd_script_name(srv, value):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"GET /proxy/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Script-Name: "
                  + value + b"\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    assert data.startswith(b"HTTP/1.1 200"), data[:300]
    info = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert info["SCRIPT_NAME"] == value.decode("latin-1")
    no_crash(srv)


def test_environ_kept_past_its_request(srv):
    """An environ kept by the app or an event subscriber, used in a later request and from a
    thread: errors, never a crash."""
    for _ in range(3):
        assert get(srv, "/app/keep", data=b"0123456789" * 10)[0] == 200
    code, body = get(srv, "/app/usekept")
    assert code == 200, body
    info = json.loads(body)
    assert info["uses"] and info["thread"]
    no_crash(srv)
    assert get(srv, "/app/x")[0] == 200


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_process_stopping_subscriber_raising_base_exception(apache, mpm):
    """A process_stopping subscriber that calls sys.exit() (or is interrupted) must not cost the
    other shutdown callbacks and the atexit handlers their run."""
    srv = apache("WSGIScriptAlias /s {root}/apps/attackcp/stopping.wsgi\n", mpm=mpm,
                 processes=1, start=False)
    marks = os.path.join(srv.root, "marks")
    os.mkdir(marks)
    os.chmod(marks, 0o1777)
    srv.start()
    code, body = get(srv, "/s")
    assert code == 200
    pid = int(body)
    srv.proc.send_signal(signal.SIGWINCH)       # graceful stop: children exit normally
    srv.proc.wait(30)
    path = os.path.join(marks, "pid-%d" % pid)
    events = open(path).read().splitlines() if os.path.exists(path) else []
    assert sorted(events) == ["atexit", "shutdown"], srv.log()[-3000:]


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_request_uri_of_a_directory_index(apache, mpm):
    """A WSGI script reached as a DirectoryIndex (mod_dir's fast redirect): REQUEST_URI is what
    the client asked for, query included, as CGI gives it."""
    srv = apache("Alias /dir {root}/apps/attackcp\n"
                 "<Directory {root}/apps/attackcp>\n"
                 "    Options +ExecCGI\n"
                 "    AddHandler wsgi-script .wsgi\n"
                 "    DirectoryIndex plain.wsgi\n"
                 "</Directory>\n", mpm=mpm)
    code, body = get(srv, "/dir/?q=1")
    assert code == 200
    assert json.loads(body)["REQUEST_URI"] == "/dir/?q=1"


@pytest.mark.parametrize("module", ["mod_wsgi_ext", "mod_wsgi"])     # mod_wsgi: the reference
@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_request_uri_in_an_ssi_include(apache, mpm, module):
    """A WSGI app included by mod_include (a subrequest): REQUEST_URI is the page the client
    asked for, as CGI and mod_wsgi give it (their ap_add_cgi_vars reads the request line)."""
    srv = apache("WSGIScriptAlias /err {root}/apps/attackcp/plain.wsgi\n"
                 "Alias /pages {root}/apps/attackcp\n"
                 "<Directory {root}/apps/attackcp>\n"
                 "    Options +Includes\n"
                 "    AddOutputFilter INCLUDES .shtml\n"
                 "</Directory>\n", mpm=mpm, modules=("include",), module=module)
    code, body = get(srv, "/pages/page.shtml?a=1")
    assert code == 200
    inner = json.loads(body.split(b"before ", 1)[1].rsplit(b" after", 1)[0])
    assert inner["REQUEST_URI"] == "/pages/page.shtml?a=1"

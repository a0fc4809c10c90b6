"""mod_wsgi 6's Python API inside a real Apache: the ``mod_wsgi`` package (reaching an installed
mod_wsgi distribution), events, request data, metrics, ``LogHandler``, the ``apache`` module,
the environ extras and the proxy-header differences fixed for issue 10."""
import http.client
import json
import urllib.request

import pytest

from functional.conftest import module_server

CONF = r"""
WSGIScriptAlias /api {root}/apps/modwsgi_api.wsgi
WSGIScriptAlias /fresh {root}/apps/modwsgi_api.wsgi application-group=fresh
WSGIScriptAlias /proxied {root}/apps/modwsgi_api.wsgi application-group=proxied
<Location /proxied>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Script-Name
    WSGITrustedProxies 10.0.0.0/8 127.0.0.1
</Location>
LogLevel info wsgi_ext:debug
"""


@pytest.fixture(scope="module", params=["prefork", "event"])
def srv(request):
    return module_server(request, CONF, mpm=request.param, processes=1, threads=4)


def get(srv, path, headers=None, data=None):
    req = urllib.request.Request(srv.url(path), headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except http.client.IncompleteRead:
        return "cut", None


def test_mod_wsgi_and_apache_modules(srv):
    status, info = get(srv, "/api/modules")
    assert status == 200
    mw = info["mod_wsgi"]
    assert mw["version"] == [6, 1, 1]
    assert mw["mod_wsgi_ext_version"]
    assert mw["process_group"] == ""
    assert mw["application_group"] == "localhost:%d|/api" % srv.port
    assert mw["maximum_processes"] >= 1
    assert mw["threads_per_process"] == (1 if srv.mpm == "prefork" else 4)
    assert len(info["callables"]) == 8
    assert info["lists"] == ["list", "list", "list", "dict"]
    assert info["classes"] == ["FileWrapper", "LogHandler", "RequestTimeout", False, True]
    assert info["file_wrapper_is_environ_one"] is True
    ap = info["apache"]
    assert ap["version"][:2] == [2, 4]
    assert ap["description"].startswith("Apache/2.4")
    assert ap["mpm_name"] == srv.mpm
    assert ap["threads_per_process"] == mw["threads_per_process"]
    assert ap["maximum_processes"] == mw["maximum_processes"]
    # nothing recorded before start_recording_metrics(), as mod_wsgi
    assert info["metrics_before"] == [None, None]


def test_mod_wsgi_express_modules_import(srv):
    """A handler.wsgi written by mod_wsgi-express imports mod_wsgi.express.runtime."""
    status, info = get(srv, "/api/express-import")
    assert status == 200, info
    assert info["handler"] == "ApplicationHandler"
    assert info["path"] and info["path"][0].endswith("/mod_wsgi")


def test_environ_extras(srv):
    status, env = get(srv, "/api/environ/x")
    assert status == 200
    assert env["mod_wsgi.version"] == ["tuple", [6, 1, 1]]
    assert env["mod_wsgi.thread_id"][0] == "int" and env["mod_wsgi.thread_id"][1] >= 1
    assert env["mod_wsgi.server_pid"][0] == "str" and env["mod_wsgi.server_pid"][1].isdigit()
    for key in ("request_start", "queue_start", "daemon_start", "application_start"):
        assert env["mod_wsgi." + key][0] == "float", key
    assert 0 < env["mod_wsgi.request_start"][1] <= env["mod_wsgi.application_start"][1]
    assert env["mod_wsgi.queue_start"][1] == 0.0     # embedded mode
    assert env["mod_wsgi.script_name"] == ["str", "/api"]
    assert env["mod_wsgi.path_info"] == ["str", "/environ/x"]
    assert "mod_wsgi.mount_point" not in env


def test_events_and_request_data(srv):
    # a fresh interpreter: nothing subscribed there yet
    assert get(srv, "/fresh/subscribe")[1] == {"subscribed": 1}
    status, plain = get(srv, "/fresh/plain")
    assert status == 200
    assert plain["request_data"] == {"seen_by_subscriber": "/plain"}
    assert plain["active_has_me"] and plain["active_is_mine"]
    assert get(srv, "/fresh/wrapped")[1]["wrapped"] == "subscriber"
    assert get(srv, "/fresh/fail")[0] == 500
    assert get(srv, "/fresh/fail-late")[0] == "cut"   # head sent, then cut
    events = get(srv, "/fresh/events")[1]["events"]
    names = [name for name, _ in events]
    # the /subscribe request itself started before anything subscribed: no events for it
    assert names[:3] == ["request_started", "response_started", "request_finished"]
    by_name = {}
    for name, keys in events:
        by_name.setdefault(name, keys)
    assert set(by_name["request_started"]) >= {
        "request_id", "thread_id", "server_pid", "request_start", "queue_start",
        "daemon_start", "application_object", "callable_object", "request_environ",
        "application_start", "request_data", "daemon_connects", "daemon_restarts"}
    assert set(by_name["response_started"]) == {
        "request_id", "response_status", "response_headers", "exception_info", "request_data"}
    assert set(by_name["request_finished"]) >= {
        "request_id", "thread_id", "request_start", "queue_start", "daemon_start", "status",
        "gil_wait_time", "gil_wait_count", "input_reads", "input_length", "output_length",
        "output_writes", "application_time", "application_finish", "cpu_time", "request_data"}
    assert set(by_name["request_exception"]) == {"request_id", "exception_info",
                                                 "request_data"}
    assert names.count("request_exception") == 2     # raised on call, and while iterating


def test_metrics(srv):
    assert get(srv, "/proxied/record")[1] == {"recording": True}
    get(srv, "/proxied/metrics")                      # start a fresh interval
    for _ in range(3):
        assert get(srv, "/proxied/post", data=b"x" * 1000)[1] == {"length": 1000}
    status, m = get(srv, "/proxied/metrics")
    assert status == 200
    req, proc = m["request"], m["process"]
    assert req["request_count"] == 4     # the first /metrics request ends inside the interval
    assert req["input_bytes"] == 3000
    assert req["output_bytes"] > 0 and req["output_writes"] >= 3
    for key in ("capacity_utilization", "request_throughput", "sample_period", "gil_wait_time",
                "gil_wait_time_buckets", "gil_wait_count", "input_read_time_buckets",
                "output_write_time", "output_write_time_buckets", "request_time_buckets"):
        assert key in req, key
    assert sum(req["request_time_buckets"]) == 4
    assert proc["request_count"] >= 4 and proc["pid"] > 0
    assert {"request_busy_time", "threads", "memory_rss", "cpu_time"} <= set(proc)
    assert m["server"] is None      # WSGIServerMetrics is Off


def test_log_handler_and_errors_buffer(srv):
    assert get(srv, "/api/log")[1] == {"logged": True}
    srv.wait_log("ERRORS-MEMORYVIEW-MARK")
    log = srv.log()
    line = [ln for ln in log.splitlines() if "LOGHANDLER-WARNING-MARK" in ln]
    assert line and ":warn]" in line[0]
    line = [ln for ln in log.splitlines() if "LOGHANDLER-DEBUG-MARK" in ln]
    assert line and ":debug]" in line[0]
    assert "ERRORS-BUFFER-MARK \\xc3\\xa9" in log   # Apache escapes the UTF-8 bytes


@pytest.mark.parametrize("xff,addr", [
    ("203.0.113.9, ::ffff:10.0.0.9", "203.0.113.9"),
    ("::ffff:203.0.113.7, 10.0.0.9", "::ffff:203.0.113.7"),
])
def test_ipv4_mapped_forwarded_for(srv, xff, addr):
    status, env = get(srv, "/proxied/environ", {"X-Forwarded-For": xff})
    assert env["REMOTE_ADDR"] == ["str", addr]


def test_forwarded_script_name_keeps_its_slash(srv):
    status, env = get(srv, "/proxied/environ", {"X-Forwarded-Script-Name": "/x/"})
    assert env["SCRIPT_NAME"] == ["str", "/x/"]
    assert env["mod_wsgi.mount_point"] == ["str", "/x/"]
    assert env["mod_wsgi.script_name"] == ["str", "/proxied"]


def test_request_timeout_from_the_application_is_a_504(srv):
    assert get(srv, "/api/timeout")[0] == 504
    srv.wait_log("Request interrupted by RequestTimeout; thread recovered.")
    assert "RequestTimeout: raised by the application" not in srv.log()

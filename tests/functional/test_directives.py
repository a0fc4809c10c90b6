"""Each directive of mod_wsgi_ext against a real Apache: what a user configuring it would see.

One server (event MPM, one child process so module state is observable) carries most directives;
server-wide ones (WSGIRestrictEmbedded, WSGIPythonHome/Path/Optimize) get small servers of their
own.  Bad configurations are checked with ``apache2 -t``; compat-only directives with a start.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

from functional.conftest import module_server
from functional.server import Apache

D = "{root}/apps/directives"

CONF = """
WSGIPythonPath %(d)s/lib
WSGIScriptAlias /env %(d)s/env.wsgi
WSGIScriptAlias /scripts/ %(d)s/scripts/
WSGIScriptAlias /opts %(d)s/env.wsgi process-group=%%{GLOBAL} application-group=%%{GLOBAL} \\
    callable-object=other pass-authorization=On
WSGIScriptAliasMatch ^/match/(one|two) %(d)s/scripts/$1.wsgi
WSGIScriptAlias /callable %(d)s/env.wsgi
WSGIScriptAlias /callable-env %(d)s/env.wsgi
WSGIScriptAlias /auth %(d)s/env.wsgi
WSGIScriptAlias /chunked %(d)s/env.wsgi
WSGIScriptAlias /head-on %(d)s/env.wsgi
WSGIScriptAlias /head-off %(d)s/env.wsgi
WSGIScriptAlias /head-auto-deflate %(d)s/env.wsgi
WSGIScriptAlias /proxy-trusted %(d)s/env.wsgi
WSGIScriptAlias /proxy-untrusted %(d)s/env.wsgi
WSGIScriptAlias /errors %(d)s/errors.wsgi
WSGIScriptAlias /errors-override %(d)s/errors.wsgi
WSGIScriptAlias /reload %(d)s/reload.wsgi
WSGIScriptAlias /noreload %(d)s/reload_off.wsgi

Alias /static %(d)s/static
Alias /handled %(d)s/handled
Alias /cgi %(d)s/cgi
Alias /nocgi %(d)s/nocgi
WSGIScriptAlias / %(d)s/env.wsgi

WSGIHandlerScript wx-handler %(d)s/handler.wsgi
<Directory %(d)s/handled>
    AddHandler wx-handler .txt
</Directory>
<Directory %(d)s/handled/all>
    SetHandler wx-handler
</Directory>
<Directory %(d)s/cgi>
    Options +ExecCGI
    AddHandler wsgi-script .wsgi
</Directory>
<Directory %(d)s/nocgi>
    Options -ExecCGI
    AddHandler wsgi-script .wsgi
</Directory>

<Location /callable>
    WSGICallableObject other
</Location>
<Location /callable-env>
    SetEnv WX_CALLABLE other
    WSGICallableObject %%{ENV:WX_CALLABLE}
</Location>
<Location /auth>
    WSGIPassAuthorization On
</Location>
<Location /chunked>
    WSGIChunkedRequest On
</Location>
<Location /head-on>
    WSGIMapHEADToGET On
</Location>
<Location /head-off>
    WSGIMapHEADToGET Off
</Location>
<Location /head-auto-deflate>
    SetOutputFilter DEFLATE
</Location>
<Location /proxy-trusted>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Host X-Forwarded-Proto
    WSGITrustedProxies 127.0.0.1 ::1
</Location>
<Location /proxy-untrusted>
    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Host X-Forwarded-Proto
    WSGITrustedProxies 10.0.0.0/8
</Location>
ErrorDocument 404 "apache-error-document-404"
<Location /errors-override>
    WSGIErrorOverride On
</Location>
<Location /noreload>
    WSGIScriptReloading Off
</Location>
""" % {"d": D}


@pytest.fixture(scope="module")
def srv(request):
    return module_server(request, CONF, processes=1, modules=("deflate", "filter"))


def get(srv, path, method="GET", **kw):
    return requests.request(method, srv.url(path), timeout=10, **kw)


def js(srv, path, **kw):
    r = get(srv, path, **kw)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


# ------------------------------------------------------------------ WSGIScriptAlias

def test_script_alias_file_target(srv):
    d = js(srv, "/env/a/b")
    assert (d["SCRIPT_NAME"], d["PATH_INFO"]) == ("/env", "/a/b")
    assert d["SCRIPT_FILENAME"] == srv.root + "/apps/directives/env.wsgi"
    assert d["callable"] == "application"
    d = js(srv, "/env")
    assert (d["SCRIPT_NAME"], d["PATH_INFO"]) == ("/env", "")


def test_script_alias_root_mount_keeps_leading_slash(srv):
    d = js(srv, "/some/where")
    assert (d["SCRIPT_NAME"], d["PATH_INFO"]) == ("", "/some/where")


def test_script_alias_directory_target_first_segment_names_the_script(srv):
    assert js(srv, "/scripts/one.wsgi/x/y") == {"script": "one", "SCRIPT_NAME": "/scripts/one.wsgi",
                                                "PATH_INFO": "/x/y"}
    assert js(srv, "/scripts/two.wsgi")["script"] == "two"
    assert get(srv, "/scripts/missing.wsgi").status_code == 404
    assert "missing.wsgi" in srv.log()


def test_script_alias_options(srv):
    d = js(srv, "/opts/p", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert d["callable"] == "other"
    assert d["mod_wsgi.callable_object"] == "other"
    assert d["mod_wsgi.application_group"] == ""          # %{GLOBAL}
    assert d["HTTP_AUTHORIZATION"] == "Basic dXNlcjpwdw=="
    assert d["mod_wsgi.process_group"] == ""


def test_alias_for_static_wins_over_root_script_alias(srv):
    r = get(srv, "/static/file.txt")
    assert r.status_code == 200
    assert r.text == "static file\n"


def test_script_alias_match_substitutes_and_sets_script_name(srv):
    assert js(srv, "/match/one/rest") == {"script": "one", "SCRIPT_NAME": "/match/one",
                                          "PATH_INFO": "/rest"}
    assert js(srv, "/match/two")["script"] == "two"


# ------------------------------------------------------------------ handlers

def test_handler_script_selected_by_add_handler(srv):
    d = js(srv, "/handled/page.txt")
    assert d["handler"] == "handle_request"
    assert d["SCRIPT_FILENAME"] == srv.root + "/apps/directives/handled/page.txt"
    plain = get(srv, "/handled/plain.html")
    assert plain.status_code == 200 and plain.text == "<p>plain</p>\n"


def test_handler_script_selected_by_set_handler(srv):
    d = js(srv, "/handled/all/any.html")
    assert d["handler"] == "handle_request"
    assert d["SCRIPT_FILENAME"] == srv.root + "/apps/directives/handled/all/any.html"


def test_add_handler_wsgi_script_with_exec_cgi(srv):
    r = get(srv, "/cgi/app.wsgi")
    assert (r.status_code, r.text) == (200, "cgi app")


def test_add_handler_wsgi_script_without_exec_cgi_is_forbidden(srv):
    r = get(srv, "/nocgi/app.wsgi")
    assert r.status_code == 403
    assert "nocgi app" not in r.text
    assert srv.wait_log("Options ExecCGI is off in this directory: " + srv.root
                        + "/apps/directives/nocgi/app.wsgi")


# ------------------------------------------------------------------ per-directory settings

def test_callable_object(srv):
    assert js(srv, "/callable")["callable"] == "other"
    assert js(srv, "/callable-env")["callable"] == "other"
    assert js(srv, "/env")["callable"] == "application"


def test_pass_authorization(srv):
    auth = {"Authorization": "Bearer token-123"}
    assert js(srv, "/auth", headers=auth)["HTTP_AUTHORIZATION"] == "Bearer token-123"
    assert js(srv, "/env", headers=auth)["HTTP_AUTHORIZATION"] is None


def chunks():
    yield b"hello "
    yield b"chunked "
    yield b"world"


def test_chunked_request_on(srv):
    d = js(srv, "/chunked", method="POST", data=chunks())
    assert d["body"] == "hello chunked world"


def test_chunked_request_off_is_length_required(srv):
    r = get(srv, "/env", method="POST", data=chunks())
    assert r.status_code == 411
    d = js(srv, "/env", method="POST", data=b"sized body")
    assert d["body"] == "sized body"


def test_map_head_to_get(srv):
    assert get(srv, "/head-on", method="HEAD").headers["X-Method"] == "GET"
    assert get(srv, "/head-off", method="HEAD").headers["X-Method"] == "HEAD"
    # Auto (the default): HEAD unless an output filter that may need the body is active
    assert get(srv, "/env", method="HEAD").headers["X-Method"] == "HEAD"
    r = get(srv, "/head-auto-deflate", method="HEAD", headers={"Accept-Encoding": "gzip"})
    assert r.headers["X-Method"] == "GET"


def test_trusted_proxy_headers_from_trusted_client(srv):
    d = js(srv, "/proxy-trusted", headers={"X-Forwarded-For": "203.0.113.7",
                                           "X-Forwarded-Host": "public.example",
                                           "X-Forwarded-Proto": "https"})
    assert d["REMOTE_ADDR"] == "203.0.113.7"
    assert d["HTTP_HOST"] == "public.example"
    assert d["wsgi.url_scheme"] == "https"
    assert d["HTTP_X_FORWARDED_FOR"] is None


def test_trusted_proxy_headers_from_untrusted_client_are_stripped(srv):
    d = js(srv, "/proxy-untrusted", headers={"X-Forwarded-For": "203.0.113.7",
                                             "X-Forwarded-Host": "public.example",
                                             "X-Forwarded-Proto": "https"})
    assert d["REMOTE_ADDR"] == "127.0.0.1"
    assert d["HTTP_HOST"] == "127.0.0.1:%d" % srv.port
    assert d["wsgi.url_scheme"] == "http"
    for key in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO"):
        assert d[key] is None


def test_error_override(srv):
    r = get(srv, "/errors?404")
    assert (r.status_code, r.text) == (404, "application body for 404")
    r = get(srv, "/errors-override?404")
    assert r.status_code == 404
    assert "apache-error-document-404" in r.text
    assert "application body" not in r.text
    r = get(srv, "/errors-override?200")
    assert (r.status_code, r.text) == (200, "application body for 200")


def rewrite(path, version):
    with open(path, "w") as f:
        f.write('VERSION = b"version %d"\n\n\ndef application(environ, start_response):\n'
                '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
                '    return [VERSION]\n' % version)
    st = os.stat(path)
    os.utime(path, (st.st_atime, st.st_mtime + 10 * version))


def test_script_reloading_on_reimports_a_changed_script(srv):
    assert get(srv, "/reload").text == "version 1"
    rewrite(srv.root + "/apps/directives/reload.wsgi", 2)
    assert get(srv, "/reload").text == "version 2"


def test_script_reloading_off_keeps_the_old_code(srv):
    assert get(srv, "/noreload").text == "version 1"
    rewrite(srv.root + "/apps/directives/reload_off.wsgi", 2)
    assert get(srv, "/noreload").text == "version 1"


def test_module_state_persists_between_requests(srv):
    first, second = js(srv, "/env"), js(srv, "/env")
    assert first["pid"] == second["pid"]
    assert second["counter"] == first["counter"] + 1


# ------------------------------------------------------------------ server-wide directives

def test_restrict_embedded(apache):
    srv = apache("WSGIRestrictEmbedded On\nWSGIScriptAlias /env %s/env.wsgi\n" % D)
    r = get(srv, "/env")
    assert r.status_code == 500
    assert "application" not in r.text
    assert srv.wait_log("Embedded mode of mod_wsgi_ext disabled by runtime configuration "
                        "(WSGIRestrictEmbedded On)")


@pytest.fixture(scope="module")
def other_venv(request):
    """A second virtual environment (world-readable) with a module only it has; it reaches
    mod_wsgi_ext and cffi through a .pth file naming the test venv's site-packages."""
    base = tempfile.mkdtemp(prefix="wx-pyhome-")
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    os.chmod(base, 0o755)
    venv = pathlib.Path(base) / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"
    import mod_wsgi_ext
    ours = os.path.dirname(os.path.dirname(mod_wsgi_ext.__file__))
    (site / "wx_ours.pth").write_text(ours + "\n")
    (site / "wx_only_in_other_venv.py").write_text("WHERE = 'other venv'\n")
    for dirpath, dirnames, filenames in os.walk(base):
        os.chmod(dirpath, 0o755)
    return str(venv)


PYTHON_APP = '''
import sys, json
import wx_only_in_other_venv, wx_probe, wx_from_pth

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"prefix": sys.prefix, "where": wx_only_in_other_venv.WHERE,
                        "optimize": sys.flags.optimize, "debug": __debug__,
                        "pth": wx_from_pth.FOUND, "path": sys.path}).encode()]
'''


def test_python_home_path_and_optimize(apache, other_venv):
    srv = apache("WSGIPythonHome %s\nWSGIPythonPath %s/lib\nWSGIPythonOptimize 1\n"
                 "WSGIScriptAlias /py {root}/py.wsgi\n" % (other_venv, D), start=False)
    with open(os.path.join(srv.root, "py.wsgi"), "w") as f:
        f.write(PYTHON_APP)
    os.chmod(os.path.join(srv.root, "py.wsgi"), 0o644)
    srv.start()
    d = js(srv, "/py")
    assert d["prefix"] == other_venv                        # WSGIPythonHome: a venv prefix
    assert d["where"] == "other venv"
    assert srv.root + "/apps/directives/lib" in d["path"]   # WSGIPythonPath
    assert d["pth"] is True                                 # .pth files there are honoured
    assert d["optimize"] == 1 and d["debug"] is False       # WSGIPythonOptimize


def test_python_optimize_default_is_zero(srv):
    d = js(srv, "/env")
    assert d["optimize"] == 0 and d["debug"] is True

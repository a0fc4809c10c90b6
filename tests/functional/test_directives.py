"""Each directive of mod_wsgi_ext against a real Apache: what a user configuring it would see.

One server (event MPM, one child process so module state is observable) carries most directives;
server-wide ones (WSGIRestrictEmbedded, WSGIPythonHome/Path/Optimize) get small servers of their
own.  Bad configurations are checked with ``apache2 -t``; compat-only directives with a start.
"""
import json
import os
import pathlib
import re
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
WSGIScriptAlias /no-path-info %(d)s/env.wsgi
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

<Directory %(d)s/htfileinfo>
    AllowOverride FileInfo
    Options +ExecCGI
    AddHandler wsgi-script .wsgi
</Directory>
<Directory %(d)s/htauthconfig>
    AllowOverride AuthConfig
    Options +ExecCGI
    AddHandler wsgi-script .wsgi
</Directory>
Alias /ht-fileinfo %(d)s/htfileinfo
Alias /ht-authconfig %(d)s/htauthconfig

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
<Location /no-path-info>
    AcceptPathInfo Off
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


def test_accept_path_info_off(srv):
    assert js(srv, "/no-path-info")["PATH_INFO"] == ""
    assert get(srv, "/no-path-info/extra").status_code == 404


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


def test_trusted_proxy_headers_from_untrusted_client_are_stripped(srv):
    d = js(srv, "/proxy-untrusted", headers={"X-Forwarded-For": "203.0.113.7",
                                             "X-Forwarded-Host": "public.example",
                                             "X-Forwarded-Proto": "https"})
    assert d["REMOTE_ADDR"] == "127.0.0.1"
    assert d["HTTP_HOST"] == "127.0.0.1:%d" % srv.port
    assert d["wsgi.url_scheme"] == "http"
    for key in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO"):
        assert d[key] is None


def test_error_override_has_no_effect_in_embedded_mode(srv):
    """As in mod_wsgi: WSGIErrorOverride is for daemon process groups; an embedded application's
    own error response reaches the client even with an ErrorDocument configured."""
    r = get(srv, "/errors?404")
    assert (r.status_code, r.text) == (404, "application body for 404")
    r = get(srv, "/errors-override?404")
    assert (r.status_code, r.text) == (404, "application body for 404")
    assert "apache-error-document-404" not in r.text
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


def test_htaccess_with_allow_override_fileinfo(srv):
    d = js(srv, "/ht-fileinfo/env.wsgi", headers={"Authorization": "Basic eDp5"})
    assert d["callable"] == "other"
    assert d["HTTP_AUTHORIZATION"] == "Basic eDp5"


def test_htaccess_without_the_needed_override_is_an_error(srv):
    r = get(srv, "/ht-authconfig/env.wsgi")
    assert r.status_code == 500
    assert srv.wait_log("WSGICallableObject not allowed here")


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


# ------------------------------------------------------------------ bad configuration

BAD = [
    # (configuration, text the error must contain); the line marked "# bad" is the culprit
    ("WSGIScriptAlias /x {root}/a.wsgi bogus-option=1 # bad",
     "WSGIScriptAlias: unknown option 'bogus-option' (known options: process-group, "
     "application-group, callable-object, pass-authorization)"),
    ("WSGIScriptAlias /x {root}/a.wsgi pass-authorization=maybe # bad",
     "WSGIScriptAlias option pass-authorization must be On or Off, not 'maybe'"),
    ("WSGIScriptAlias /x {root}/a.wsgi application # bad",
     "WSGIScriptAlias: expected option=value, got 'application'"),
    ("WSGIScriptAlias /x {root}/a.wsgi application-group= # bad",
     "WSGIScriptAlias option application-group must not be empty"),
    ("WSGIScriptAlias /x # bad",
     "WSGIScriptAlias takes two arguments and options: URL-path script-path"),
    ("WSGIScriptAlias /x {root}/a.wsgi application-group=%{BOGUS} # bad",
     "WSGIScriptAlias option application-group: '%{BOGUS}' is not one of %{GLOBAL}, "
     "%{SERVER}, %{HOST}, %{RESOURCE}, %{ENV:variable} or a name"),
    ("WSGIHandlerScript h {root}/a.wsgi callable-object=x # bad",
     "WSGIHandlerScript: unknown option 'callable-object' (known options: process-group, "
     "application-group, pass-authorization)"),
    ("WSGIScriptAliasMatch ^/(unclosed {root}/a.wsgi # bad",
     "WSGIScriptAliasMatch: '^/(unclosed' is not a valid regular expression"),
    ("WSGIPassAuthorization Maybe # bad", "WSGIPassAuthorization must be On or Off, not 'Maybe'"),
    ("WSGIScriptReloading # bad", "WSGIScriptReloading takes exactly one argument (On or Off)"),
    ("WSGIChunkedRequest On Off # bad",
     "WSGIChunkedRequest takes exactly one argument (On or Off)"),
    ("WSGICallableObject # bad",
     "WSGICallableObject takes exactly one argument"),
    ("WSGIPythonPath # bad", "WSGIPythonPath takes at least one argument"),
    ("WSGIMapHEADToGET Sometimes # bad",
     "WSGIMapHEADToGET must be one of Off|On|Auto, not 'Sometimes'"),
    ("WSGIApplicationGroup %{BOGUS} # bad",
     "WSGIApplicationGroup: '%{BOGUS}' is not one of %{GLOBAL}, %{SERVER}, %{HOST}, "
     "%{RESOURCE}, %{ENV:variable} or a name"),
    ("WSGIApplicationGroup %{ENV:} # bad", "WSGIApplicationGroup: '%{ENV:}' is not one of"),
    ("WSGIApplicationGroup %{GLOBAL # bad",
     "WSGIApplicationGroup: unterminated '%{' in '%{GLOBAL'"),
    ("WSGIProcessGroup %{RESOURCE} # bad",
     "WSGIProcessGroup: '%{RESOURCE}' is not one of %{GLOBAL}, %{ENV:variable} or a name"),
    ("WSGITrustedProxies 10.0.0.0/33 # bad",
     "WSGITrustedProxies: '10.0.0.0/33' is not an IP address or network (address/bits)"),
    ("WSGITrustedProxies proxy.example # bad",
     "WSGITrustedProxies: 'proxy.example' is not an IP address or network"),
    ("WSGITrustedProxyHeaders X_Forwarded_For # bad",
     "WSGITrustedProxyHeaders: 'X_Forwarded_For' is not a valid header name"),
    ("WSGIPythonHome {root}/no-such-dir # bad",
     "WSGIPythonHome: '{root}/no-such-dir' is not an existing directory"),
    ("WSGIPythonHome {root}/httpd.conf # bad",
     "WSGIPythonHome: '{root}/httpd.conf' is not an existing directory"),
    ("WSGIPythonOptimize 3 # bad", "WSGIPythonOptimize must be an integer from 0 to 2, not '3'"),
    ("WSGIImportScript {root}/a.py application-group=x # bad",
     "WSGIImportScript: the option process-group=... is required"),
    ("WSGIImportScript {root}/a.py process-group=%{GLOBAL} # bad",
     "WSGIImportScript: the option application-group=... is required"),
    ("WSGIImportScript {root}/a.py process-group=%{GLOBAL} application-group=x bad=1 # bad",
     "WSGIImportScript: unknown option 'bad' (known options: process-group, application-group)"),
    # wrong contexts
    ("<Directory {root}>\nWSGIScriptAlias /x {root}/a.wsgi # bad\n</Directory>",
     "WSGIScriptAlias cannot occur within <Directory> section (WSGIScriptAlias is allowed in: "
     "server config, virtual host)"),
    ("<Location /x>\nWSGIImportScript {root}/a.py process-group=%{GLOBAL} "
     "application-group=x # bad\n</Location>",
     "WSGIImportScript cannot occur within <Location> section (WSGIImportScript is allowed in: "
     "server config, virtual host)"),
    ("<VirtualHost 127.0.0.1:{port}>\nWSGIPythonHome /usr # bad\n</VirtualHost>",
     "WSGIPythonHome cannot occur within <VirtualHost> section (WSGIPythonHome is allowed in: "
     "server config)"),
    ("<VirtualHost 127.0.0.1:{port}>\nWSGIRestrictEmbedded On # bad\n</VirtualHost>",
     "WSGIRestrictEmbedded cannot occur within <VirtualHost> section"),
    ("<Files x.wsgi>\nWSGIPythonPath /tmp # bad\n</Files>",
     "WSGIPythonPath cannot occur within <Files> section (WSGIPythonPath is allowed in: "
     "server config)"),
    ("<Directory {root}>\nWSGIDaemonProcess d processes=2 # bad\n</Directory>",
     "WSGIDaemonProcess cannot occur within <Directory> section (WSGIDaemonProcess is allowed "
     "in: server config, virtual host)"),
    ("WSGIGroupAuthoritative Off # bad",
     "WSGIGroupAuthoritative must be inside <Directory>, <Location> or <Files> "
     "(WSGIGroupAuthoritative is allowed in: directory, .htaccess)"),
]


@pytest.mark.parametrize("conf, expected", BAD, ids=[re.sub(r"\W+", "-", b[0])[:60] for b in BAD])
def test_bad_configuration_fails_configtest_with_file_line_and_reason(conf, expected):
    # Apache has no trailing comments: the culprit follows a "# bad" comment line instead
    conf = re.sub(r"^(.*) # bad$", r"# bad\n\1", conf, flags=re.M)
    srv = Apache(conf)
    try:
        rc, out = srv.configtest()
        with open(srv.conf) as f:
            line = 1 + next(i for i, text in enumerate(f, 1) if text.rstrip() == "# bad")
    finally:
        srv.cleanup()
    expected = expected.replace("{root}", srv.root)
    assert rc != 0, out
    assert "Syntax error on line %d of %s:" % (line, srv.conf) in out, out
    assert expected in out, out


def test_good_configuration_passes_configtest():
    srv = Apache(CONF)
    try:
        rc, out = srv.configtest()
    finally:
        srv.cleanup()
    assert rc == 0, out
    assert "Syntax OK" in out


COMPAT = """
WSGIDaemonProcess site processes=2 threads=15 display-name=%%{GROUP}
WSGISocketRotation Off
WSGIPythonHashSeed 0
WSGIDestroyInterpreter On
WSGIRestrictStdout Off
<WSGIInterpreterOptions process-group=site>
    WSGIPythonPath /nowhere
</WSGIInterpreterOptions>
<VirtualHost 127.0.0.1:{port}>
    WSGIDaemonProcess other processes=1
</VirtualHost>
<Directory {root}/apps>
    WSGIEnableSendfile On
    WSGIPassApacheRequest On
</Directory>
WSGIScriptAlias /env %s/env.wsgi
""" % D


def test_compat_directives_are_accepted_and_each_warned_about_once(apache):
    srv = apache(COMPAT)
    assert get(srv, "/env").status_code == 200
    log = srv.log()
    for name in ("WSGIDaemonProcess", "WSGISocketRotation", "WSGIPythonHashSeed",
                 "WSGIDestroyInterpreter", "<WSGIInterpreterOptions>",
                 "WSGIEnableSendfile", "WSGIPassApacheRequest"):
        line = "mod_wsgi_ext: %s is accepted for mod_wsgi compatibility; no effect" % name
        assert log.count(line) == 1, (name, log)
    assert "WSGIPythonPath is accepted" not in log
    # these have an effect now (issue 10): no warning
    assert "WSGIRestrictStdout is accepted" not in log


def test_directives_mod_wsgi_6_does_not_have_are_refused(apache):
    """mod_wsgi 6 dropped these; a configuration using them fails there, and here too."""
    for name in ("WSGILazyInitialization On", "WSGIStartupTimeout 5"):
        srv = apache(name + "\n", start=False)
        rc, out = srv.configtest()
        assert rc != 0 and "Invalid command '%s'" % name.split()[0] in out, out

"""Interpreter groups: WSGIApplicationGroup, WSGIImportScript, preloading, sub-interpreters.

One server (event MPM, one child process) mounts the same script under several application
groups; scripts share state through the module ``wx_probe`` (on WSGIPythonPath), of which every
interpreter has its own copy.  A small C extension that refuses to load in a sub-interpreter is
compiled at test time into the server root.
"""
import os
import subprocess
import sysconfig

import pytest
import requests

from functional.server import Apache

D = "{root}/apps/directives"
G = D + "/groups.wsgi"

CONF = """
WSGIPythonPath %(d)s/lib:{root}/ext
WSGIImportScript %(d)s/import_marker.py process-group=%%{GLOBAL} application-group=alpha
WSGIImportScript %(d)s/import_marker.py process-group=%%{GLOBAL} application-group=%%{RESOURCE}
WSGIScriptAlias /alpha %(g)s application-group=alpha
WSGIScriptAlias /alpha-too %(g)s application-group=alpha
WSGIScriptAlias /beta %(g)s application-group=beta
WSGIScriptAlias /quoted %(g)s application-group="a group" process-group="%%{GLOBAL}"
WSGIScriptAlias /global %(g)s application-group=%%{GLOBAL}
WSGIScriptAlias /server %(g)s application-group=%%{SERVER}
WSGIScriptAlias /res1 %(g)s
WSGIScriptAlias /res2 %(g)s
WSGIScriptAlias /by-env %(g)s application-group=%%{ENV:WX_GROUP}
WSGIScriptAlias /by-unset-env %(g)s application-group=%%{ENV:WX_NOT_SET}
WSGIScriptAlias /host %(g)s application-group=%%{HOST}
WSGIScriptAlias /by-directive %(g)s
WSGIScriptAlias /by-directive-env %(g)s
WSGIScriptAlias /preloaded %(d)s/preloaded.wsgi process-group=%%{GLOBAL} application-group=gamma
WSGIScriptAlias /nosub-named %(d)s/nosub.wsgi application-group=named
WSGIScriptAlias /nosub-global %(d)s/nosub.wsgi application-group=%%{GLOBAL}

<Location /by-env>
    SetEnv WX_GROUP from-env
</Location>
<Location /by-directive>
    WSGIApplicationGroup beta
</Location>
<Location /by-directive-env>
    SetEnv WX_GROUP %%{GLOBAL}
    WSGIApplicationGroup %%{ENV:WX_GROUP}
</Location>
""" % {"d": D, "g": G}

EXT_SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "wx_nosubinterp",
                                 "refuses to load outside the main interpreter", -1, NULL};

PyMODINIT_FUNC PyInit_wx_nosubinterp(void)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_SetString(PyExc_ImportError,
                        "wx_nosubinterp does not support sub-interpreters");
        return NULL;
    }
    return PyModule_Create(&def);
}
"""


def build_extension(where):
    """Compile wx_nosubinterp into `where` (a directory on the server's WSGIPythonPath)."""
    os.makedirs(where)
    os.chmod(where, 0o755)
    src = os.path.join(where, "wx_nosubinterp.c")
    with open(src, "w") as f:
        f.write(EXT_SOURCE)
    target = os.path.join(where, "wx_nosubinterp" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(["gcc", "-shared", "-fPIC", "-I" + sysconfig.get_paths()["include"],
                    "-o", target, src], check=True)
    os.chmod(target, 0o755)


@pytest.fixture(scope="module")
def srv(request):
    srv = Apache(CONF, processes=1)
    request.addfinalizer(srv.cleanup)
    build_extension(os.path.join(srv.root, "ext"))
    return srv.start()


def js(srv, path):
    r = requests.get(srv.url(path), timeout=10)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def test_import_script_runs_before_the_first_request(srv):
    # start-up imported it: the marker is logged although no request has been made yet
    assert srv.wait_log("wx-import-marker pid=")
    assert "GET /" not in open(os.path.join(srv.root, "access.log")).read()
    d = js(srv, "/alpha")
    assert d["preloaded"] == d["pid"]          # the import script's state, in the same group
    assert "wx-import-marker pid=%d" % d["pid"] in srv.log()
    assert js(srv, "/beta")["preloaded"] is None    # ...and only there
    assert srv.log().count("wx-import-marker pid=") == 1
    assert ("WSGIImportScript %s/apps/directives/import_marker.py: application-group=%%{RESOURCE} "
            "depends on the request, so the script cannot be imported at start-up" % srv.root
            in srv.log())


def test_script_alias_with_both_groups_is_preloaded(srv):
    assert srv.wait_log("wx-alias-preload ")
    import_id = srv.log().split("wx-alias-preload ", 1)[1].split()[0]
    d = js(srv, "/preloaded")
    assert d["import_id"] == import_id          # served by the module imported at start-up
    assert srv.log().count("wx-alias-preload ") == 1


def test_named_groups_share_module_state_within_and_isolate_between(srv):
    js(srv, "/alpha-too?set=shared-in-alpha")
    assert js(srv, "/alpha")["value"] == "shared-in-alpha"
    assert js(srv, "/beta")["value"] != "shared-in-alpha"
    assert js(srv, "/global")["value"] != "shared-in-alpha"
    js(srv, "/beta?set=beta-value")
    assert js(srv, "/alpha")["value"] == "shared-in-alpha"


def test_script_state_persists_per_group(srv):
    first = js(srv, "/beta")
    second = js(srv, "/beta")
    assert second["counter"] == first["counter"] + 1
    assert second["modules_id"] == first["modules_id"]


def test_group_names(srv):
    port = srv.port
    assert js(srv, "/alpha")["group"] == "alpha"
    assert js(srv, "/quoted")["group"] == "a group"
    assert js(srv, "/server")["group"] == "localhost:%d" % port
    assert js(srv, "/res1/x")["group"] == "localhost:%d|/res1" % port   # %{RESOURCE} default
    assert js(srv, "/res2")["group"] == "localhost:%d|/res2" % port
    assert js(srv, "/by-env")["group"] == "from-env"
    assert js(srv, "/by-unset-env")["group"] == "%{ENV:WX_NOT_SET}"   # literal, as mod_wsgi
    assert js(srv, "/host")["group"] == "127.0.0.1:%d" % port         # from the Host header
    assert js(srv, "/by-directive")["group"] == "beta"


def test_global_is_the_main_interpreter_and_others_are_not(srv):
    assert js(srv, "/global")["main"] is True
    assert js(srv, "/global")["group"] == ""
    assert js(srv, "/by-directive-env")["group"] == ""    # %{ENV:X} where X is %{GLOBAL}
    assert js(srv, "/by-directive-env")["main"] is True
    assert js(srv, "/alpha")["main"] is False


def test_resource_groups_are_separate_interpreters(srv):
    js(srv, "/res1?set=in-res1")
    assert js(srv, "/res1")["value"] == "in-res1"
    assert js(srv, "/res2")["value"] != "in-res1"


def test_extension_without_sub_interpreter_support(srv):
    r = requests.get(srv.url("/nosub-named"), timeout=10)
    assert r.status_code == 500
    assert "sub-interpreters" not in r.text          # the reason goes to the log, not the client
    assert srv.wait_log("WSGIApplicationGroup %{GLOBAL}")
    line = next(line for line in srv.log().splitlines() if "WSGIApplicationGroup %{GLOBAL}" in line)
    assert "nosub.wsgi" in line and "'named'" in line
    assert "wx_nosubinterp does not support sub-interpreters" in srv.log()
    r = requests.get(srv.url("/nosub-global"), timeout=10)
    assert (r.status_code, r.text) == (200, "loaded wx_nosubinterp")


VHOSTS = """
WSGIPythonPath %(d)s/lib
WSGIScriptAlias /main-mount %(g)s application-group=%%{SERVER}
<VirtualHost 127.0.0.1:{port}>
    ServerName a.example
    WSGIImportScript %(d)s/import_marker.py process-group=%%{GLOBAL} application-group=%%{SERVER}
    WSGIScriptAlias /app %(g)s application-group=%%{SERVER}
    WSGIScriptAlias /res %(g)s
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName b.example
    WSGIScriptAlias /app %(g)s application-group=%%{SERVER}
</VirtualHost>
""" % {"d": D, "g": G}


@pytest.fixture(scope="module")
def vhosts(request):
    srv = Apache(VHOSTS, processes=1)
    request.addfinalizer(srv.cleanup)
    return srv.start()


def vjs(srv, host, path):
    r = requests.get(srv.url(path), headers={"Host": "%s:%d" % (host, srv.port)}, timeout=10)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def test_virtual_hosts_have_their_own_server_groups(vhosts):
    port = vhosts.port
    a, b = vjs(vhosts, "a.example", "/app"), vjs(vhosts, "b.example", "/app")
    assert a["group"] == "a.example:%d" % port
    assert b["group"] == "b.example:%d" % port
    assert vjs(vhosts, "a.example", "/res")["group"] == "a.example:%d|/res" % port
    vjs(vhosts, "a.example", "/app?set=only-a")
    assert vjs(vhosts, "b.example", "/app")["value"] != "only-a"


def test_virtual_hosts_inherit_the_main_servers_mounts(vhosts):
    assert vjs(vhosts, "b.example", "/main-mount")["group"] == "b.example:%d" % vhosts.port


def test_import_script_for_a_virtual_hosts_server_group(vhosts):
    assert vhosts.wait_log("wx-import-marker pid=")
    a = vjs(vhosts, "a.example", "/app")
    assert a["preloaded"] == a["pid"]       # imported into a.example's %{SERVER} interpreter
    assert vjs(vhosts, "b.example", "/app")["preloaded"] is None

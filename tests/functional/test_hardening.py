"""Issue 9, items 4 and 5 (C side): request-derived interpreter names and script paths with any
bytes, a failed interpreter not rebuilt per request, DNS outside the GIL, %{ENV:} not read from the
live process environment, out-of-memory paths, and the hardened build.

Faults (a slow reverse DNS lookup, PyThreadState_New or realloc failing) are injected into the
Apache children with the LD_PRELOAD library in ``faults/``.
"""
import os
import re
import shutil
import subprocess
import threading
import time

import pytest
import requests

from functional import faults

MPMS = ["prefork", "event"]
H = "{root}/apps/hardening"


def get(srv, path, session=requests, **kw):
    return session.get(srv.url(path), timeout=kw.pop("timeout", 15), **kw)


# ------------------------------------------------------------------ 4: names with any bytes

NAMES_CONF = """
WSGIScriptAliasMatch ^/am/[^/]*$ %(h)s/interp.wsgi
WSGIScriptAliasMatch ^/sm/([^/]+)$ %(h)s/$1
WSGIScriptAlias /envgroup %(h)s/interp.wsgi application-group=%%{ENV:WX_G}
SetEnvIf X-Group "^(.*)$" WX_G=$1
""" % {"h": H}


@pytest.mark.parametrize("mpm", MPMS)
def test_group_names_and_script_paths_from_the_request_take_any_bytes(apache, mpm):
    srv = apache(NAMES_CONF, mpm=mpm, start=False)
    odd = os.path.join(srv.root, "apps", "hardening").encode() + b"/\xff\xfe.wsgi"
    shutil.copy(os.path.join(srv.root, "apps", "hardening", "interp.wsgi").encode(), odd)
    os.chmod(odd, 0o644)
    srv.start()
    s = requests.Session()
    seen = {}
    for _ in range(100):
        r = get(srv, "/am/%ff", s)
        assert r.status_code == 200, r.text
        d = r.json()
        # the environ's name, latin-1 as every environ value, and one interpreter per process
        assert bytes.fromhex(d["group_hex"]) == b"localhost:%d|/am/\xff" % srv.port
        assert seen.setdefault(d["pid"], d["modules_id"]) == d["modules_id"]
    assert srv.log().count("creating Python interpreter 'localhost:%d|/am/" % srv.port) <= len(seen)
    assert "setting up interpreter" not in srv.log()

    # a $N substitution that names a file whose name is not UTF-8
    r = get(srv, "/sm/%ff%fe.wsgi", s)
    assert r.status_code == 200, r.text
    assert bytes.fromhex(r.json()["file"]) == odd
    # %{ENV:} set from a request header (obs-text bytes)
    r = s.get(srv.url("/envgroup"), headers={"X-Group": b"g\xe9"}, timeout=15)
    assert r.status_code == 200, r.text
    assert bytes.fromhex(r.json()["group_hex"]) == b"g\xe9"


BROKEN_CONF = """
WSGIPythonPath {root}/pth
WSGIScriptAlias /broken %(h)s/interp.wsgi application-group=broken
WSGIScriptAlias /fine %(h)s/interp.wsgi application-group=fine
""" % {"h": H}

# a site directory whose .pth file breaks the set-up of the group 'broken' while {root}/break exists
BREAK_PTH = ("import os, sys; exec(\"if os.path.exists(%r) and sys.modules["
             "'mod_wsgi_ext.runtime.embedded']._group == 'broken': "
             "raise SystemExit('broken on purpose')\")\n")


@pytest.mark.parametrize("mpm", MPMS)
def test_a_group_that_failed_is_not_set_up_again_per_request(apache, mpm):
    srv = apache(BROKEN_CONF, mpm=mpm, start=False)
    flag = os.path.join(srv.root, "break")
    os.makedirs(os.path.join(srv.root, "pth"), mode=0o755)
    with open(os.path.join(srv.root, "pth", "wx_break.pth"), "w") as f:
        f.write(BREAK_PTH % flag)
    os.chmod(os.path.join(srv.root, "pth", "wx_break.pth"), 0o644)
    open(flag, "w").close()
    srv.start()
    for _ in range(30):
        r = get(srv, "/broken")
        assert r.status_code == 500
    assert get(srv, "/fine").status_code == 200
    log = srv.log()
    failures = log.count("setting up interpreter 'broken' failed")
    attempts = log.count("creating Python interpreter 'broken'")
    children = len(set(re.findall(r"\(pid=(\d+)\): creating Python interpreter 'broken'", log)))
    assert 1 <= failures == attempts == children, (failures, attempts, children)
    assert "SystemExit: broken on purpose" in log
    assert "could not be set up in this process" in log
    assert "apachectl graceful" in log

    # the way back: fix the cause, restart gracefully
    os.unlink(flag)
    srv.graceful()
    deadline = time.time() + 20
    while time.time() < deadline:
        r = get(srv, "/broken")
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200, srv.log()[-3000:]
    assert bytes.fromhex(r.json()["group_hex"]) == b"broken"


# ------------------------------------------------------------------ 5: DNS outside the GIL

DNS_CONF = """
HostnameLookups On
WSGIImportScript %(h)s/ticker.py process-group=%%{GLOBAL} application-group=%%{GLOBAL}
WSGIScriptAlias /auth %(h)s/interp.wsgi application-group=%%{GLOBAL}
WSGIScriptAlias /plain %(h)s/interp.wsgi application-group=%%{GLOBAL}
<Location /auth>
    AuthType Basic
    AuthName "dns"
    AuthBasicProvider wsgi
    WSGIAuthUserScript %(h)s/authuser.py
    Require valid-user
</Location>
<Location /plain>
    HostnameLookups Off
</Location>
""" % {"h": H}


def ticks(srv, pid):
    try:
        with open(os.path.join(srv.root, "ticks", str(pid))) as f:
            return int(f.read() or 0)
    except (OSError, ValueError):
        return 0


@pytest.mark.parametrize("mpm", MPMS)
def test_reverse_dns_for_auth_scripts_runs_without_the_gil(apache, mpm, monkeypatch):
    srv = apache(DNS_CONF, mpm=mpm, start=False, modules=["auth_basic", "authz_user"],
                 processes=1)
    gate = os.path.join(srv.root, "dnsgate")
    os.makedirs(os.path.join(srv.root, "ticks"), mode=0o777)
    os.chmod(os.path.join(srv.root, "ticks"), 0o777)
    os.chmod(srv.root, 0o777)        # the children create the gate's marker file here
    monkeypatch.setenv("LD_PRELOAD", faults.build(os.path.join(srv.root, "faults")))
    monkeypatch.setenv("WX_FAULT_DNS_GATE", gate)
    open(gate + ".go", "w").close()            # lookups pass while this exists
    srv.start()
    assert get(srv, "/auth", auth=("u", "pw")).status_code == 200
    os.unlink(gate + ".go")
    if os.path.exists(gate + ".in"):
        os.unlink(gate + ".in")

    done = {}

    def slow():
        done["auth"] = get(srv, "/auth", auth=("u", "pw"), timeout=40).status_code

    t = threading.Thread(target=slow)
    t.start()
    try:
        deadline = time.time() + 10
        while not os.path.exists(gate + ".in") and time.time() < deadline:
            time.sleep(0.02)
        assert os.path.exists(gate + ".in"), "the auth request made no reverse lookup"
        # the child doing the lookup: its Python threads go on running meanwhile
        blocked = [p for p in pids_of_children(srv) if ticks(srv, p)]
        before = {p: ticks(srv, p) for p in blocked}
        deadline = time.time() + 8
        moved = False
        while time.time() < deadline and not moved:
            time.sleep(0.1)
            moved = all(ticks(srv, p) > before[p] + 3 for p in blocked)
        assert blocked and moved, "Python threads stalled during the DNS lookup: %s" % before
        if mpm == "event":
            # and another request in the same process is served meanwhile
            r = get(srv, "/plain", timeout=8)
            assert r.status_code == 200
        assert "auth" not in done          # still inside the lookup
    finally:
        open(gate + ".go", "w").close()
        t.join(45)
    assert done["auth"] == 200


def pids_of_children(srv):
    return [int(n) for n in os.listdir(os.path.join(srv.root, "ticks")) if n.isdigit()]


# ------------------------------------------------------------------ 5: %{ENV:} and os.environ

ENV_CONF = """
WSGIScriptAlias /pick %(h)s/interp.wsgi application-group=%%{ENV:WX_PICK}
WSGIScriptAlias /started %(h)s/interp.wsgi application-group=%%{ENV:WX_FROM_START}
""" % {"h": H}


@pytest.mark.parametrize("mpm", MPMS)
def test_env_groups_do_not_follow_what_the_application_puts_in_os_environ(apache, mpm,
                                                                        monkeypatch):
    monkeypatch.setenv("WX_FROM_START", "start-group")
    srv = apache(ENV_CONF, mpm=mpm, processes=1)
    s = requests.Session()           # one connection: one child, also under prefork
    first = get(srv, "/pick?setenv=WX_PICK=chosen-by-the-app", s).json()
    assert bytes.fromhex(first["group_hex"]) == b"%{ENV:WX_PICK}"   # unset: the spec itself
    for _ in range(5):
        d = get(srv, "/pick", s).json()
        assert d["pid"] == first["pid"]
        assert bytes.fromhex(d["group_hex"]) == b"%{ENV:WX_PICK}"
    # the environment Apache was started with still counts, as in mod_wsgi
    assert bytes.fromhex(get(srv, "/started", s).json()["group_hex"]) == b"start-group"


# ------------------------------------------------------------------ 5: out of memory

OOM_CONF = """
WSGIScriptAlias /sub %(h)s/interp.wsgi application-group=sub
WSGIScriptAlias /main %(h)s/interp.wsgi application-group=%%{GLOBAL}
""" % {"h": H}


@pytest.mark.parametrize("mpm", MPMS)
@pytest.mark.parametrize("fault", ["WX_FAULT_TSTATE", "WX_FAULT_REALLOC"])
def test_out_of_memory_entering_a_sub_interpreter_is_a_500(apache, mpm, fault, monkeypatch):
    srv = apache(OOM_CONF, mpm=mpm, start=False, processes=1)
    flag = os.path.join(srv.root, "oom")
    monkeypatch.setenv("LD_PRELOAD", faults.build(os.path.join(srv.root, "faults")))
    monkeypatch.setenv(fault, flag)
    open(flag, "w").close()
    srv.start()
    s = requests.Session()
    for _ in range(3):
        r = get(srv, "/sub", s)
        assert r.status_code == 500
    assert "out of memory entering the Python interpreter 'sub'" in srv.log()
    pid = get(srv, "/main", s).json()["pid"]          # the process goes on serving
    os.unlink(flag)
    r = get(srv, "/sub", s)
    assert r.status_code == 200, r.text
    assert r.json()["pid"] == pid
    assert "Segmentation fault" not in srv.log()


# ------------------------------------------------------------------ 5: build hardening

def test_module_is_built_with_fortify_and_full_relro(built_module):
    dyn = subprocess.run(["readelf", "-dW", built_module], capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"\(FLAGS\)\s+.*BIND_NOW", dyn), dyn
    assert re.search(r"\(FLAGS_1\)\s+Flags:.*NOW", dyn), dyn
    segs = subprocess.run(["readelf", "-lW", built_module], capture_output=True, text=True,
                          check=True).stdout
    assert "GNU_RELRO" in segs
    syms = subprocess.run(["nm", "-D", built_module], capture_output=True, text=True,
                          check=True).stdout
    checked = re.findall(r"\bU (__\w+_chk)@", syms)
    assert [c for c in checked if c != "__stack_chk_fail"], syms      # _FORTIFY_SOURCE
    assert "__stack_chk_fail" in syms                                  # stack protector

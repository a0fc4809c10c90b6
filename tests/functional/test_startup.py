"""Start-up and shutdown of the module: refusals with one clear line, Python only in the children,
a 500 (never a blank 200) when Python cannot start, shutdown callbacks and atexit handlers."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from functional.server import Apache, module_line

D = "{root}/apps/directives"


def our_lines(srv, level):
    return [line for line in srv.output().splitlines()
            if "[wsgi_ext:%s]" % level in line and "mod_wsgi_ext:" in line]


HAVE_MOD_WSGI = os.path.exists(os.path.join(os.path.dirname(sys.executable), "mod_wsgi-express"))


@pytest.mark.skipif(not HAVE_MOD_WSGI, reason="mod_wsgi (pip install mod_wsgi) is not installed")
@pytest.mark.parametrize("order", ["mod_wsgi_ext first", "mod_wsgi first"])
def test_refuses_to_start_next_to_mod_wsgi(apache, order):
    conf = "WSGIScriptAlias /hello {root}/apps/hello.wsgi\n"
    if order == "mod_wsgi first":
        srv = apache(module_line("mod_wsgi_ext") + "\n" + conf, module="mod_wsgi", start=False)
    else:
        srv = apache(module_line("mod_wsgi") + "\n" + conf, start=False)
    assert srv.start(expect_fail=True) != 0
    lines = our_lines(srv, "emerg")
    assert len(lines) == 1, srv.output()
    assert ("mod_wsgi_ext: cannot run in the same server as mod_wsgi (mod_wsgi.c is loaded); "
            "remove one of the two LoadModule lines") in lines[0]


MOD_PYTHON = "/usr/lib/apache2/modules/mod_python.so"


@pytest.mark.skipif(not os.path.exists(MOD_PYTHON),
                    reason="mod_python is not installed (apt-get install libapache2-mod-python; "
                           "scripts/bootstrap installs it)")
@pytest.mark.parametrize("order", ["mod_wsgi_ext first", "mod_python first"])
def test_refuses_to_start_next_to_mod_python(apache, order):
    mod_python = "LoadModule python_module %s\n" % MOD_PYTHON
    conf = "WSGIScriptAlias /hello {root}/apps/hello.wsgi\n"
    if order == "mod_python first":
        # the harness puts our LoadModule line before the body: load mod_python through the
        # base modules instead
        srv = apache(conf, modules=["python"], start=False)
    else:
        srv = apache(mod_python + conf, start=False)
    assert srv.start(expect_fail=True) != 0
    lines = our_lines(srv, "emerg")
    assert len(lines) == 1, srv.output()
    assert ("mod_wsgi_ext: cannot run in the same server as mod_python (mod_python.c is loaded); "
            "remove one of the two LoadModule lines") in lines[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: children then run as www-data")
def test_refuses_when_the_children_cannot_read_the_module(apache):
    """The package itself unreadable to www-data (no WSGIPythonHome): the module file is named."""
    import mod_wsgi_ext.cli
    base = tempfile.mkdtemp(prefix="wx-locked-pkg-")
    try:
        os.chmod(base, 0o755)
        locked = os.path.join(base, "locked")
        os.mkdir(locked, 0o700)
        pkg = os.path.join(locked, "mod_wsgi_ext")
        os.mkdir(pkg, 0o755)
        so = os.path.join(pkg, os.path.basename(mod_wsgi_ext.cli.module_path()))
        shutil.copy(mod_wsgi_ext.cli.module_path(), so)
        srv = Apache("WSGIScriptAlias /hello {root}/apps/hello.wsgi\n")
        with open(srv.conf) as f:
            text = f.read()
        with open(srv.conf, "w") as f:
            f.write(text.replace(module_line("mod_wsgi_ext"),
                                 'LoadModule wsgi_ext_module "%s"' % so))
        try:
            assert srv.start(expect_fail=True) != 0
            lines = our_lines(srv, "emerg")
            assert len(lines) == 1, srv.output()
            assert ("mod_wsgi_ext: the user 'www-data' that Apache children run as cannot read %s "
                    "(the directory %s is not searchable by it)" % (so, locked)) in lines[0]
        finally:
            srv.cleanup()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def locked_home(request):
    """WSGIPythonHome: a symlink to the running venv inside a directory only root can enter."""
    base = tempfile.mkdtemp(prefix="wx-locked-")
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    os.chmod(base, 0o755)
    locked = os.path.join(base, "locked")
    os.mkdir(locked, 0o700)
    home = os.path.join(locked, "venv")
    os.symlink(sys.prefix, home)
    return locked, home


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: children then run as www-data")
def test_refuses_when_the_children_cannot_read_the_python(apache, locked_home):
    locked, home = locked_home
    srv = apache("WSGIPythonHome %s\nWSGIScriptAlias /hello {root}/apps/hello.wsgi\n" % home,
                 start=False)
    assert srv.start(expect_fail=True) != 0
    lines = our_lines(srv, "emerg")
    assert len(lines) == 1, srv.output()
    assert ("mod_wsgi_ext: the user 'www-data' that Apache children run as cannot read %s "
            "(the directory %s is not searchable by it)" % (home, locked)) in lines[0]


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_python_that_cannot_start_answers_500_and_logs_why(apache, mpm):
    empty = tempfile.mkdtemp(prefix="wx-empty-home-")
    try:
        os.chmod(empty, 0o755)
        srv = apache("WSGIPythonHome %s\nWSGIScriptAlias /hello {root}/apps/hello.wsgi\n" % empty,
                     mpm=mpm)
        for _ in range(3):
            r = requests.get(srv.url("/hello"), timeout=10)
            assert r.status_code == 500
            assert "hello world" not in r.text
        assert srv.wait_log("mod_wsgi_ext: cannot serve %s/apps/hello.wsgi: Python could not "
                            "start" % srv.root)
        assert ("WSGIPythonHome must be the prefix of a Python %d.%d installation or virtual "
                "environment, and %s has no standard library" % (sys.version_info[:2] + (empty,))
                in srv.log())
    finally:
        shutil.rmtree(empty, ignore_errors=True)


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_python_without_mod_wsgi_ext_answers_500_and_logs_why(apache, mpm):
    base = tempfile.mkdtemp(prefix="wx-bare-venv-")
    try:
        os.chmod(base, 0o755)
        venv = os.path.join(base, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", venv], check=True)
        srv = apache("WSGIPythonHome %s\nWSGIScriptAlias /hello {root}/apps/hello.wsgi\n" % venv,
                     mpm=mpm)
        for _ in range(3):
            r = requests.get(srv.url("/hello"), timeout=10)
            assert r.status_code == 500
        assert srv.wait_log("mod_wsgi_ext: cannot serve %s/apps/hello.wsgi: the mod_wsgi_ext "
                            "Python package failed to initialise in the Python at %s: "
                            "ModuleNotFoundError: No module named '_cffi_backend'; WSGIPythonHome "
                            "must name the Python environment mod_wsgi_ext is installed in"
                            % (srv.root, venv))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def make_marks(srv):
    marks = os.path.join(srv.root, "marks")
    os.mkdir(marks)
    os.chmod(marks, 0o1777)
    return marks


def wait_lines(path, n):
    """The lines of path once it has n of them (children write it while starting)."""
    for _ in range(200):
        if os.path.exists(path) and len(open(path).read().splitlines()) >= n:
            break
        time.sleep(0.05)
    return open(path).read().splitlines() if os.path.exists(path) else []


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_python_runs_in_the_children_never_in_the_parent(apache, mpm):
    srv = apache("WSGIImportScript %s/pids.py process-group=%%{GLOBAL} application-group=%%{GLOBAL}\n"
                 "WSGIScriptAlias /hello {root}/apps/hello.wsgi\n" % D, mpm=mpm, processes=2,
                 start=False)
    marks = make_marks(srv)
    srv.start()
    parent = srv.proc.pid
    records = [tuple(map(int, line.split()))
               for line in wait_lines(os.path.join(marks, "imports"), 2)]
    assert len(records) >= 2
    for pid, ppid in records:
        assert pid != parent and ppid == parent
    with open("/proc/%d/maps" % parent) as f:
        maps = f.read()
    assert "_cffi_backend" not in maps           # Python never imported our package there
    assert requests.get(srv.url("/hello"), timeout=10).text == "hello world\n"


def graceful_stop(srv):
    srv.proc.send_signal(signal.SIGWINCH)
    srv.proc.wait(30)


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_shutdown_callbacks_and_atexit_run_when_a_child_exits(apache, mpm):
    srv = apache("WSGIScriptAlias /global %(d)s/lifecycle.wsgi application-group=%%{GLOBAL}\n"
                 "WSGIScriptAlias /sub %(d)s/lifecycle.wsgi application-group=sub\n" % {"d": D},
                 mpm=mpm, processes=1, start=False)
    marks = make_marks(srv)
    srv.start()
    pid = int(requests.get(srv.url("/global"), timeout=10).text)
    assert int(requests.get(srv.url("/sub"), timeout=10).text) == pid
    graceful_stop(srv)
    with open(os.path.join(marks, "pid-%d" % pid)) as f:
        events = f.read().splitlines()
    assert sorted(events) == sorted(["shutdown %{GLOBAL}", "atexit %{GLOBAL}",
                                     "shutdown sub", "atexit sub"])
    for group in ("%{GLOBAL}", "sub"):     # callbacks first, then atexit, in each interpreter
        assert events.index("shutdown " + group) < events.index("atexit " + group)

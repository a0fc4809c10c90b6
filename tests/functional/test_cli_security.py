"""`serve`/`setup-server` as root write nothing where another user has a say, and no value they
write into httpd.conf or apachectl (folder names, --server-root, log paths) runs as a command
(issue 9, items 0 and 0b); --host takes IPv6 addresses (issue 9, item 5).

Each hostile case is run the way an admin would: setup-server, then the printed apachectl
commands, against a real Apache on a free loopback port.
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from functional.server import free_port

COMMAND = os.path.join(os.path.dirname(sys.executable), "mod-wsgi-ext")
APP = '''\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [__file__.encode("utf-8", "surrogateescape")]
'''
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the exploit needs root and another user")


def run(args, cwd, **kw):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, **kw)


def as_other_user(args):
    """Run `args` as www-data (another, unprivileged user) with setpriv."""
    pw = pwd.getpwnam("www-data")
    return subprocess.run(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                           "--clear-groups", "--"] + args, check=True, capture_output=True)


def one_clean_line(p):
    """A refusal: non-zero exit, exactly one line on stderr, no traceback."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    return p.stderr


def write_app(folder):
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "app.wsgi")
    with open(path, "w") as f:
        f.write(APP)
    os.chmod(path, 0o644)
    return path


def wait_listening(port, host="127.0.0.1", timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# ------------------------------------------------------------------ item 0: the server root

@as_root
def test_default_server_root_is_not_a_predictable_path_another_user_owns(workdir, victim):
    """The reproduction of issue 9 item 0: www-data pre-creates the old predictable server root
    with httpd.conf a symlink to a root file; setup-server as root must neither write through it
    nor use that directory."""
    app = write_app(os.path.join(workdir, "site"))
    port = free_port()
    trap = "/tmp/mod_wsgi_ext-127.0.0.1-%d-0" % port
    as_other_user(["mkdir", "-m", "0777", trap])
    as_other_user(["ln", "-s", victim, os.path.join(trap, "httpd.conf")])
    as_other_user(["ln", "-s", victim, os.path.join(trap, "apachectl")])
    try:
        p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port)], cwd=workdir)
        assert p.returncode == 0, p.stderr
        with open(victim) as f:
            assert f.read() == "original\n", "wrote through another user's symlink"
        root = p.stdout.split("Server root written to ", 1)[1].splitlines()[0]
        st = os.lstat(root)
        assert root != trap and st.st_uid == 0 and not st.st_mode & 0o022
        assert os.stat(os.path.join(root, "httpd.conf")).st_uid == 0
        shutil.rmtree(root)
    finally:
        shutil.rmtree(trap, ignore_errors=True)


@as_root
def test_server_root_owned_by_another_user_is_refused(workdir, victim):
    app = write_app(os.path.join(workdir, "site"))
    hostile = os.path.join(workdir, "hostile")
    os.chmod(workdir, 0o777 | 0o1000)      # a shared place like /tmp: sticky, anyone may mkdir
    as_other_user(["mkdir", "-m", "0755", hostile])
    as_other_user(["ln", "-s", victim, os.path.join(hostile, "httpd.conf")])
    for command in ("setup-server", "serve"):
        p = run([COMMAND, command, app, "--embedded", "--port", str(free_port()),
                 "--server-root", hostile], cwd=workdir)
        err = one_clean_line(p)
        assert "refusing the server root %s" % hostile in err and "www-data" in err
    with open(victim) as f:
        assert f.read() == "original\n"


@pytest.mark.parametrize("case", ["other-writable", "symlink", "file", "writable-parent"])
def test_unsafe_server_root_is_refused(workdir, victim, case):
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    if case == "other-writable":
        os.mkdir(root)
        os.chmod(root, 0o777)
        expect = "other users may write to it"
    elif case == "symlink":
        os.symlink(os.path.dirname(victim), root)
        expect = "is not a directory (or is a symlink)"
    elif case == "file":
        with open(root, "w") as f:
            f.write("x")
        expect = "is not a directory"
    else:
        parent = os.path.join(workdir, "shared")
        os.mkdir(parent)
        os.chmod(parent, 0o777)         # anyone may rename what is inside, no sticky bit
        root = os.path.join(parent, "root")
        expect = "can be changed by another user"
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root], cwd=workdir)
    assert expect in one_clean_line(p)
    assert os.listdir(os.path.dirname(victim)) == ["precious.conf"]
    with open(victim) as f:
        assert f.read() == "original\n"


def test_own_server_root_replaces_planted_symlinks(workdir, victim):
    """Files are written next to, then renamed over, whatever is at the name: a symlink left in
    one's own server root is replaced, not followed."""
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    os.mkdir(root, 0o755)
    os.symlink(victim, os.path.join(root, "httpd.conf"))
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    with open(victim) as f:
        assert f.read() == "original\n"
    assert not os.path.islink(os.path.join(root, "httpd.conf"))
    assert sorted(os.listdir(root)) == ["apachectl", "httpd.conf", "startup.py"]


# ------------------------------------------------------------------ item 0b: quoting

HOSTILE = {
    "quote": 'a"b',
    "quote-directive": 'x" \nErrorLog "|touch PWNED-errorlog',
    "newline": "line\nbreak",
    "env-var": "${HOME}",
    "defined-var": "${wx_dollar}x",
    "command-subst": "$(touch PWNED-subst)",
    "backquote": "`touch PWNED-backquote`",
    "backslash": "back\\slash",
    "trailing-backslash": "end\\",
    "spaces": "with  some spaces",
    "semicolon": "a; touch PWNED-semicolon",
    "carriage-return": "a\rb",
    "non-utf8": os.fsdecode(b"caf\xe9"),
    "wildcard": "a*b[c]",
}
REFUSED = {"quote-directive", "newline", "carriage-return", "non-utf8", "wildcard"}


def no_pwned(*dirs):
    for d in dirs + ("/",):
        found = [n for n in os.listdir(d) if n.startswith("PWNED")]
        assert not found, "a command ran: %s in %s" % (found, d)


def start_and_fetch(ctl, port, cwd, host="127.0.0.1"):
    p = run(["sh", "-c", ctl + " start"], cwd=cwd)
    assert p.returncode == 0, p.stdout + p.stderr
    try:
        assert wait_listening(port, host), "apachectl start did not start Apache"
        url = "http://%s:%d/" % ("[%s]" % host if ":" in host else host, port)
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    finally:
        run(["sh", "-c", ctl + " stop"], cwd=cwd)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection((host, port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                break


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_app_in_hostile_folder_refused_or_served(workdir, name):
    folder = os.path.join(workdir, HOSTILE[name])
    app = write_app(folder)
    root = os.path.join(workdir, "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port),
             "--server-root", root], cwd=workdir)
    if name in REFUSED:
        err = one_clean_line(p)
        assert "the WSGI script" in err
        assert "cannot carry" in err or "not valid UTF-8" in err or "wildcard" in err
        assert not os.path.exists(root), "wrote a server root anyway"
    else:
        assert p.returncode == 0, p.stderr
        # the printed line, pasted into a shell, is what the admin runs
        start = [line.split(":", 1)[1].strip() for line in p.stdout.splitlines()
                 if line.startswith("Start it with:")][0]
        ctl = start[:-len(" start")]
        assert run(["sh", "-c", ctl + " configtest"], cwd=workdir).returncode == 0
        status, body = start_and_fetch(ctl, port, workdir)
        assert status == 200
        assert body == os.fsencode(app), "served another file than the hostile folder's app"
    no_pwned(workdir, folder) if os.path.isdir(folder) else no_pwned(workdir)
    if os.path.isdir(root):
        no_pwned(root)


@pytest.mark.parametrize("option", ["--server-root", "--error-log", "--access-log",
                                    "--url-alias", "--document-root", "--python-path"])
def test_hostile_paths_in_options_run_nothing(workdir, option):
    app = write_app(os.path.join(workdir, "site"))
    base = os.path.join(workdir, "sr$(touch PWNED-sr)`touch PWNED-bq`")
    os.mkdir(base, 0o755)
    port = free_port()
    args = [COMMAND, "setup-server", app, "--embedded", "--port", str(port)]
    if option == "--server-root":
        root = os.path.join(base, "root")
        args += ["--server-root", root]
    elif option in ("--url-alias", "--document-root", "--python-path"):
        root = os.path.join(workdir, "root")
        static = os.path.join(base, 'st"at${HOME}ic')
        os.mkdir(static, 0o755)
        with open(os.path.join(static, "f.txt"), "w") as f:
            f.write("static file\n")
        os.chmod(os.path.join(static, "f.txt"), 0o644)
        args += ["--server-root", root, option] + (["/s", static] if option == "--url-alias"
                                                  else [static])
    else:
        root = os.path.join(workdir, "root")
        args += ["--server-root", root, option, os.path.join(base, 'log" "|touch PWNED-log')]
    p = run(args, cwd=workdir)
    assert p.returncode == 0, p.stderr
    ctl = [line.split(":", 1)[1].strip() for line in p.stdout.splitlines()
           if line.startswith("Start it with:")][0][:-len(" start")]
    assert run(["sh", "-c", ctl + " configtest"], cwd=workdir).returncode == 0
    assert run([os.path.join(root, "apachectl"), "configtest"], cwd=workdir).returncode == 0
    status, body = start_and_fetch(ctl, port, workdir)
    assert status == 200
    if option in ("--url-alias", "--document-root"):
        p = run(["sh", "-c", ctl + " start"], cwd=workdir)
        try:
            assert wait_listening(port)
            url = "http://127.0.0.1:%d/%s" % (port, "s/f.txt" if option == "--url-alias"
                                              else "f.txt")
            with urllib.request.urlopen(url, timeout=10) as resp:
                assert resp.read() == b"static file\n"
        finally:
            run(["sh", "-c", ctl + " stop"], cwd=workdir)
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    time.sleep(0.05)
                except OSError:
                    break
    no_pwned(workdir, base, root)
    if option in ("--error-log", "--access-log"):
        # the log went to the file of that literal name, not to a piped command
        assert os.path.isfile(os.path.join(base, 'log" "|touch PWNED-log'))


def test_hostile_server_root_with_serve_runs_nothing(workdir):
    """`serve --server-root '/x$(touch PWNED)'` (the issue's reproduction) runs nothing."""
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "sr$(touch PWNED)")
    port = free_port()
    proc = subprocess.Popen([COMMAND, "serve", app, "--embedded", "--port", str(port),
                             "--server-root", root], cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_listening(port)
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as resp:
            assert resp.read() == app.encode()
    finally:
        proc.send_signal(2)
        proc.wait(20)
    no_pwned(workdir, root)


# ------------------------------------------------------------------ item 5: --host

@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_host(workdir, host):
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--host", host, "--port", str(port),
             "--server-root", root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(root, "httpd.conf")) as f:
        conf = f.read()
    assert 'Listen "[::1]:%d"' % port in conf
    assert "ServerName [" not in conf and "ServerName ::" not in conf
    ctl = os.path.join(root, "apachectl")
    p = run([ctl, "configtest"], cwd=workdir)
    assert p.returncode == 0, p.stderr
    status, body = start_and_fetch(ctl, port, workdir, host="::1")
    assert (status, body) == (200, app.encode())


@pytest.mark.parametrize("args, expect", [
    (["--host", "127.0.0.1:9"], "--host 127.0.0.1:9: give the address without a port"),
    (["--host", "[127.0.0.1]"], "brackets are only for an IPv6 address"),
    (["--host", "bad host"], "is not an IP address or a host name"),
    (["--port", "99999"], "--port 99999: must be between 1 and 65535"),
    (["--port", "0"], "--port 0: must be between 1 and 65535"),
])
def test_bad_host_or_port_refused_before_writing(workdir, args, expect):
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root] + args,
            cwd=workdir)
    assert expect in one_clean_line(p)
    assert not os.path.exists(root)

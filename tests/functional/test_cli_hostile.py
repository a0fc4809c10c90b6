"""A hostile review of `serve`/`setup-server` after issue 9 items 0 and 0b: what was still open.

* Root's $TMPDIR in another user's hands (``su`` without ``-``, ``sudo -E``, libpam-tmpdir): the
  default server root was made there, and that user could swap it before ``apachectl start``.
* Log files (``--log-directory``, ``--error-log``, ``--access-log``) are opened by Apache as
  root: in a directory another user may write, a planted symlink made root append to any file.
* ``--include-file`` is configuration read by Apache as root: one another user may change is
  their command as root.
* ``--server-root a/b/c``: missing parents were made with ``makedirs``, which follows another
  user's symlink, so root made directories where that user pointed before refusing.
* A newline at the end of a ``--setenv``/``--passenv`` name passed the ``$``-anchored check and
  broke the httpd.conf line (the names were not quoted); the same ``$`` let a trailing newline
  through ``--callable-object``, a module name and ``--host``.
* ``--mount-point`` with ``* ? [``: ``<Location>`` reads them as wildcards, WSGIScriptAlias
  literally, so with ``--auth-user-script`` the application answered without authentication.
* ``serve --reload-on-changes`` restarted Apache on any error-output line holding its message,
  so a client whose URL the application logs restarted the server with each request.
* The working directory (by default the current one, even /tmp) is on the Python path through
  ``site.addsitedir``: a .pth file any user dropped there ran in the application's processes.

Every case runs the real command and, where the outcome is a server, a real Apache.
"""
import os
import pwd
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from functional.server import free_port
from functional.test_cli_security import (COMMAND, as_root, no_pwned, one_clean_line, run,
                                          start_and_fetch, wait_listening, write_app)

NOBODY = pwd.getpwnam("nobody")


def as_nobody(args):
    return subprocess.run(["setpriv", "--reuid=%d" % NOBODY.pw_uid,
                           "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--"] + args,
                          check=True, capture_output=True)


def nobody_dir(path, mode=0o755):
    """A directory owned by another user (nobody)."""
    os.mkdir(path)
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(path, mode)
    return path


# ------------------------------------------------------------------ $TMPDIR

@as_root
@pytest.mark.parametrize("command", ["setup-server", "serve"])
def test_tmpdir_of_another_user_is_refused(workdir, command):
    """Reproduction: TMPDIR=/tmp/x (nobody's) setup-server as root made the server root in it;
    nobody renamed it and put an apachectl of theirs at the printed path, which root ran."""
    app = write_app(os.path.join(workdir, "site"))
    tmp = nobody_dir(os.path.join(workdir, "nobodys-tmp"), 0o700)
    env = dict(os.environ, TMPDIR=tmp)
    p = run([COMMAND, command, app, "--embedded", "--port", str(free_port())], cwd=workdir,
            env=env)
    err = one_clean_line(p)
    assert tmp in err and "another user" in err and "--server-root" in err
    assert os.listdir(tmp) == [], "root wrote into another user's directory"


@as_root
def test_tmpdir_of_root_still_works(workdir):
    app = write_app(os.path.join(workdir, "site"))
    tmp = os.path.join(workdir, "roots-tmp")
    os.mkdir(tmp, 0o755)
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(free_port())],
            cwd=workdir, env=dict(os.environ, TMPDIR=tmp))
    assert p.returncode == 0, p.stderr
    assert len(os.listdir(tmp)) == 1


# ------------------------------------------------------------------ log files

@as_root
@pytest.mark.parametrize("option", ["--log-directory", "--error-log", "--access-log",
                                    "--startup-log"])
def test_log_in_another_users_directory_is_refused(workdir, victim, option):
    """Reproduction: --log-directory /tmp/x (nobody's), where nobody planted error_log -> a root
    file; 'apachectl start' appended Apache's log lines to that file as root."""
    app = write_app(os.path.join(workdir, "site"))
    logs = nobody_dir(os.path.join(workdir, "logs"))
    for name in ("error_log", "access_log", "startup_log"):
        as_nobody(["ln", "-s", victim, os.path.join(logs, name)])
    root = os.path.join(workdir, "root")
    port = free_port()
    args = [COMMAND, "setup-server", app, "--embedded", "--port", str(port),
            "--server-root", root]
    args += {"--log-directory": ["--log-directory", logs],
             "--error-log": ["--error-log", os.path.join(logs, "error_log")],
             "--access-log": ["--access-log=" + os.path.join(logs, "access_log")],
             "--startup-log": ["--startup-log", "--log-directory", logs]}[option]
    p = run(args, cwd=workdir)
    if p.returncode == 0:
        # what the admin then does
        try:
            start_and_fetch(os.path.join(root, "apachectl"), port, workdir)
        finally:
            with open(victim) as f:
                assert f.read() == "original\n", "Apache as root wrote through the symlink"
    err = one_clean_line(p)
    assert logs in err and "nobody" in err
    assert not os.path.exists(root)


@as_root
def test_log_in_shared_sticky_directory_is_refused(workdir):
    """A sticky world-writable directory (/tmp) protects what exists, not a name another user
    creates first: no log file there."""
    app = write_app(os.path.join(workdir, "site"))
    shared = os.path.join(workdir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root",
             os.path.join(workdir, "root"), "--error-log", os.path.join(shared, "err")],
            cwd=workdir)
    assert "other users may create" in one_clean_line(p)


@as_root
def test_log_directory_of_root_works(workdir):
    app = write_app(os.path.join(workdir, "site"))
    logs = os.path.join(workdir, "logs")
    os.mkdir(logs, 0o755)
    root = os.path.join(workdir, "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port), "--server-root",
             root, "--log-directory", logs], cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert start_and_fetch(os.path.join(root, "apachectl"), port, workdir)[0] == 200
    assert os.path.isfile(os.path.join(logs, "access_log"))


# ------------------------------------------------------------------ --include-file

@as_root
@pytest.mark.parametrize("case", ["file-of-nobody", "dir-of-nobody", "world-writable"])
def test_include_file_another_user_may_change_is_refused(workdir, case):
    app = write_app(os.path.join(workdir, "site"))
    if case == "dir-of-nobody":
        inc = os.path.join(nobody_dir(os.path.join(workdir, "conf.d")), "extra.conf")
    else:
        inc = os.path.join(workdir, "extra.conf")
    with open(inc, "w") as f:
        f.write("# harmless for now\n")
    if case == "file-of-nobody":
        os.chown(inc, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(inc, 0o666 if case == "world-writable" else 0o644)
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root,
             "--include-file", inc], cwd=workdir)
    err = one_clean_line(p)
    assert "--include-file" in err and "another user" in err
    assert not os.path.exists(root)


@as_root
def test_include_file_of_root_works(workdir):
    app = write_app(os.path.join(workdir, "site"))
    inc = os.path.join(workdir, "extra.conf")
    with open(inc, "w") as f:
        f.write("LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n"
                'Header always set X-Included "yes"\n')
    os.chmod(inc, 0o644)
    root = os.path.join(workdir, "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port), "--server-root",
             root, "--include-file", inc], cwd=workdir)
    assert p.returncode == 0, p.stderr
    ctl = os.path.join(root, "apachectl")
    assert run([ctl, "start"], cwd=workdir).returncode == 0
    try:
        assert wait_listening(port)
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as resp:
            assert resp.headers["X-Included"] == "yes"
    finally:
        run([ctl, "stop"], cwd=workdir)


# ------------------------------------------------------------------ creating --server-root

@as_root
def test_server_root_parents_are_not_made_through_another_users_symlink(workdir):
    """Reproduction: nobody's symlink /tmp/x -> /etc/...; --server-root /tmp/x/sub/root made
    /etc/.../sub/root as root, then refused."""
    app = write_app(os.path.join(workdir, "site"))
    target = os.path.join(workdir, "target")
    os.mkdir(target, 0o755)
    shared = os.path.join(workdir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    as_nobody(["ln", "-s", target, os.path.join(shared, "x")])
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root",
             os.path.join(shared, "x", "sub", "root")], cwd=workdir)
    err = one_clean_line(p)
    assert "refusing the server root %s: the directory %s " % (
        os.path.join(shared, "x", "sub", "root"), os.path.join(shared, "x")) in err
    assert os.listdir(target) == [], "root made directories through another user's symlink"


@as_root
def test_server_root_parents_are_made_and_served(workdir):
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "a", "b", "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port), "--server-root",
             root], cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert start_and_fetch(os.path.join(root, "apachectl"), port, workdir)[0] == 200


@as_root
def test_server_root_under_a_roots_symlink_is_accepted(workdir):
    """A symlink root made (as /var/run -> /run) is no other user's say: accepted."""
    app = write_app(os.path.join(workdir, "site"))
    real = os.path.join(workdir, "real")
    os.mkdir(real, 0o755)
    os.symlink(real, os.path.join(workdir, "link"))
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root",
             os.path.join(workdir, "link", "root")], cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert os.path.isfile(os.path.join(real, "root", "httpd.conf"))


# ------------------------------------------------------------------ names with a newline

@pytest.mark.parametrize("args, option", [
    (["--setenv", "FOO\n", "x"], "--setenv"),
    (["--passenv", "FOO\n"], "--passenv"),
    (["--callable-object", "application\n"], "--callable-object"),
    (["--host", "localhost\n"], "--host"),
])
def test_trailing_newline_in_a_name_is_refused(workdir, args, option):
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root] + args,
            cwd=workdir)
    assert option in one_clean_line(p)
    assert not os.path.exists(root)


def test_trailing_newline_in_a_module_name_is_refused(workdir):
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", "--application-type", "module", "mysite.wsgi\n",
             "--embedded", "--server-root", root], cwd=workdir)
    assert "not a module name" in one_clean_line(p)
    assert not os.path.exists(root)


# ------------------------------------------------------------------ --mount-point wildcards

AUTH = '''\
def check_password(environ, user, password):
    return user == "u" and password == "p"
'''


@pytest.mark.parametrize("mount", ["/a*", "/a?", "/[a]"])
def test_mount_point_with_wildcards_is_refused(workdir, mount):
    """Reproduction: --mount-point '/a*' --auth-user-script: GET /a*/x answered 200 without
    credentials (<Location "/a*"> is a wildcard matching one path segment)."""
    app = write_app(os.path.join(workdir, "site"))
    auth = os.path.join(workdir, "site", "auth.py")
    with open(auth, "w") as f:
        f.write(AUTH)
    os.chmod(auth, 0o644)
    root = os.path.join(workdir, "root")
    port = free_port()
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port), "--server-root",
             root, "--mount-point", mount, "--auth-user-script", auth], cwd=workdir)
    if p.returncode == 0:
        ctl = os.path.join(root, "apachectl")
        run([ctl, "start"], cwd=workdir)
        try:
            assert wait_listening(port)
            quoted = urllib.request.quote(mount + "/x")
            try:
                urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, quoted), timeout=10)
                status = 200
            except urllib.error.HTTPError as e:
                status = e.code
            assert status == 401, "the application answered without authentication"
        finally:
            run([ctl, "stop"], cwd=workdir)
    assert "--mount-point" in one_clean_line(p) and "wildcard" in p.stderr
    no_pwned(workdir)


# ------------------------------------------------------------------ --reload-on-changes

LOGGING_APP = '''\
import os
import sys


def application(environ, start_response):
    # as Django logs "Not Found: <path>"
    print("Not Found: %s" % environ["PATH_INFO"], file=sys.stderr, flush=True)
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
'''


def test_a_client_cannot_restart_serve(workdir):
    """Reproduction: serve --reload-on-changes restarted Apache whenever its error output held
    'restarting the server gracefully (--reload-on-changes)', so a request for that URL to an
    application that logs its 404s restarted the server, once per request."""
    site = os.path.join(workdir, "site")
    write_app(site)
    app = os.path.join(site, "logging.wsgi")
    with open(app, "w") as f:
        f.write(LOGGING_APP)
    os.chmod(app, 0o644)
    port = free_port()
    out = open(os.path.join(workdir, "serve.out"), "w+b")
    proc = subprocess.Popen([COMMAND, "serve", app, "--embedded", "--port", str(port),
                             "--reload-on-changes", "--processes", "1"], cwd=site,
                            stdout=out, stderr=out, start_new_session=True)
    try:
        assert wait_listening(port)
        url = "http://127.0.0.1:%d/x%%20restarting%%20the%%20server%%20gracefully%%20" \
              "(--reload-on-changes)" % port
        for _ in range(3):
            try:
                urllib.request.urlopen(url, timeout=10)
            except urllib.error.HTTPError as e:
                assert e.code == 404
        time.sleep(1.5)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        assert "Not Found: /x restarting the server gracefully" in text
        assert "SIGUSR1" not in text and "AH00493" not in text, text
    finally:
        proc.send_signal(2)
        proc.wait(20)
        out.close()


# ------------------------------------------------------------------ the Python path

@as_root
def test_shared_current_directory_is_not_on_the_python_path(workdir):
    """Reproduction: root ran 'serve /srv/app.wsgi' from /tmp; the working directory went on
    the Python path with site.addsitedir, so a .pth file any user dropped there ran in the
    application's processes (as www-data)."""
    app = write_app(os.path.join(workdir, "site"))
    shared = os.path.join(workdir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    marker = os.path.join(shared, "PWNED-pth")      # where www-data may write
    pth = os.path.join(shared, "zz.pth")
    with open(pth, "w") as f:
        f.write('import os; open("%s", "w").close()\n' % marker)
    os.chown(pth, NOBODY.pw_uid, NOBODY.pw_gid)      # dropped there by another user
    port = free_port()
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", app, "--embedded", "--port", str(port), "--server-root",
             root], cwd=shared)
    assert p.returncode == 0, p.stderr
    status, body = start_and_fetch(os.path.join(root, "apachectl"), port, workdir)
    assert status == 200
    assert not os.path.exists(marker), "a .pth file another user dropped ran in the app"
    assert "every user may write to the current directory %s" % shared in p.stderr


@pytest.mark.parametrize("option", ["--working-directory", "--python-path"])
def test_python_path_every_user_may_write_is_refused(workdir, option):
    app = write_app(os.path.join(workdir, "site"))
    shared = os.path.join(workdir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    root = os.path.join(workdir, "root")
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root, option, shared],
            cwd=workdir)
    err = one_clean_line(p)
    assert shared in err and "writable by every user" in err
    assert not os.path.exists(root)


def test_failed_write_leaves_no_temporary_file(workdir):
    """A directory where httpd.conf should go: one line, and no .httpd.conf.PID.tmp left."""
    app = write_app(os.path.join(workdir, "site"))
    root = os.path.join(workdir, "root")
    os.makedirs(os.path.join(root, "httpd.conf"))
    p = run([COMMAND, "setup-server", app, "--embedded", "--server-root", root], cwd=workdir)
    assert "cannot write the server root" in one_clean_line(p)
    assert os.listdir(root) == ["httpd.conf"]


# ------------------------------------------------------------------ scripts/bootstrap

BOOTSTRAP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts", "bootstrap")


@as_root
def test_bootstrap_refuses_an_environment_another_user_made(workdir):
    """Reproduction: MOD_WSGI_EXT_VENV=/tmp/venv ./scripts/bootstrap as root ran
    /tmp/venv/bin/python, which another user had made first (their program, run as root)."""
    shared = os.path.join(workdir, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    venv = os.path.join(shared, "venv")
    marker = os.path.join(shared, "PWNED-bootstrap")
    as_nobody(["mkdir", "-p", os.path.join(venv, "bin")])
    as_nobody(["sh", "-c", "printf '#!/bin/sh\\nid -u > %s\\n' > %s/bin/python && chmod 755 "
               "%s/bin/python" % (marker, venv, venv)])
    p = run([BOOTSTRAP], cwd=workdir, env=dict(os.environ, MOD_WSGI_EXT_VENV=venv))
    assert not os.path.exists(marker), "bootstrap ran another user's program"
    assert p.returncode == 2 and "refusing %s" % venv in p.stderr, p.stderr
    assert oct(os.stat(shared).st_mode & 0o7777) == oct(0o1777), "changed the shared parent"

"""Issue 7 (the Apache module's own start-up check, for hand-written configurations): when the
children's user cannot read what they would load -- followed through symlinks -- Apache refuses to
start with one line naming the path, the user and the fix, instead of answering every request
with a 500 (init_fs_encoding: failed to get the Python codec).

The case from the issue: WSGIPythonHome is a venv in a world-readable directory, made from the
pyenv Python under /root (mode 0700), so its bin/python3 and standard library are out of
www-data's reach.
"""
import glob
import os
import re
import shutil
import subprocess

import pytest

PYENV = sorted(glob.glob("/root/.pyenv/versions/3.11.*/bin/python3.11"))


def emerg_lines(srv):
    return [line for line in srv.output().splitlines()
            if "mod_wsgi_ext:" in line and ("emerg" in line or "AH00" not in line)
            and "cannot read" in line]


def private_python(root):
    """The pyenv Python under /root where there is one (the case from the issue); otherwise a
    copy of Debian's python3.11 in a mode-0700 directory, which is the same situation: a Python
    whose real executable the children's user cannot reach.  Returns (python, locked dir)."""
    if PYENV and not os.stat("/root").st_mode & 0o001:
        return PYENV[-1], "/root"
    locked = os.path.join(root, "private")
    os.makedirs(os.path.join(locked, "bin"))
    os.chmod(locked, 0o700)
    python = os.path.join(locked, "bin", "python3.11")
    shutil.copy2(os.path.realpath("/usr/bin/python3"), python)
    return python, locked


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: children then run as www-data")
@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_refuses_a_venv_made_from_a_python_the_children_cannot_read(apache, mpm):
    srv = apache("WSGIPythonHome {root}/venv\nWSGIScriptAlias /hello {root}/apps/hello.wsgi\n",
                 mpm=mpm, start=False)
    venv = os.path.join(srv.root, "venv")
    python, locked = private_python(srv.root)
    subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True)
    for dirpath, dirnames, filenames in os.walk(venv):
        os.chmod(dirpath, 0o755)
    assert srv.start(expect_fail=True) != 0
    lines = emerg_lines(srv)
    assert len(lines) == 1, srv.output()
    real = os.path.realpath(os.path.join(venv, "bin", "python3"))
    assert real.startswith(locked + "/")
    assert re.search(
        r"mod_wsgi_ext: the user 'www-data' that Apache children run as cannot read %s \(the "
        r"directory %s is not searchable by it, and it is the real file behind %s\); make the "
        r"venv from /usr/bin/python3" % (re.escape(real), re.escape(locked),
                                         re.escape(os.path.join(venv, "bin", "python3"))),
        lines[0]), lines[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: children then run as www-data")
def test_refuses_a_standard_library_reached_through_a_symlink(apache):
    """A non-venv WSGIPythonHome whose lib/python3.X is a symlink into a directory only root can
    enter: the real directory is checked, not only the link."""
    import sys
    import sysconfig
    srv = apache("WSGIPythonHome {root}/home\nWSGIScriptAlias /hello {root}/apps/hello.wsgi\n",
                 start=False)
    locked = os.path.join(srv.root, "locked")
    os.mkdir(locked, 0o700)
    stdlib = os.path.join(locked, "stdlib")
    os.symlink(sysconfig.get_paths()["stdlib"], stdlib)
    home = os.path.join(srv.root, "home")
    for d in (home, os.path.join(home, "lib"), os.path.join(home, "bin")):
        os.mkdir(d, 0o755)
    os.symlink("/usr/bin/python3", os.path.join(home, "bin", "python3"))
    os.symlink(stdlib, os.path.join(home, "lib", "python%d.%d" % sys.version_info[:2]))
    assert srv.start(expect_fail=True) != 0
    lines = emerg_lines(srv)
    assert len(lines) == 1, srv.output()
    assert "the directory %s is not searchable by it" % locked in lines[0], lines[0]
    assert "make the venv from /usr/bin/python3" in lines[0]

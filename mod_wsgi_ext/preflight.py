"""Pre-flight check of ``serve`` / ``setup-server`` run as root: can the user Apache's children
run as read everything they load?

Started as root, Apache runs its children as an unprivileged user (``www-data``), and Python
starts inside them. When that user cannot read the Python (a venv made from a pyenv Python in
``/root``, say), Apache starts fine and then every request is a 500. So before writing anything,
every path the children load is resolved (symlinks followed: a venv's ``bin/python3`` is a link
to the real interpreter) and checked, directory by directory: the real Python executable,
``libpython``, the standard library, ``site-packages``, cffi's backend, this package and its
built module, and the application's files. A failure is one :class:`UserError` naming the path,
what it is, and the fix.
"""

import grp
import os
import pwd
import stat
import sys
import sysconfig

from mod_wsgi_ext.serverroot import UserError

PYTHON_FIX = ("make the virtual environment from a Python that user can read, outside /root and "
              "private home directories (e.g. '/usr/bin/python3 -m venv /opt/mysite/venv'), and "
              "install mod_wsgi_ext there")


def unreadable_for(path, user):
    """Why `user` cannot read `path` (symlinks resolved, every directory on the way searchable),
    or None."""
    pw = pwd.getpwnam(user)
    if pw.pw_uid == 0:
        return None
    groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {pw.pw_gid}

    def allowed(st, bits):
        if st.st_uid == pw.pw_uid:
            return (st.st_mode >> 6) & bits == bits
        if st.st_gid in groups:
            return (st.st_mode >> 3) & bits == bits
        return st.st_mode & bits == bits

    # check the path as written and where it really is: both must be reachable
    for p in dict.fromkeys([os.path.abspath(path), os.path.realpath(path)]):
        parts = p.split(os.sep)
        for i in range(2, len(parts)):
            d = os.sep.join(parts[:i]) or os.sep
            try:
                st = os.stat(d)
            except OSError:
                return "%s does not exist" % d
            if not allowed(st, 1):
                return "the directory %s is not searchable by %s" % (d, user)
        try:
            st = os.stat(p)
        except OSError:
            return "%s does not exist" % p
        if not allowed(st, 5 if stat.S_ISDIR(st.st_mode) else 4):
            return "%s is not readable by %s" % (p, user)
    return None


def _libpython():
    for name in ("LDLIBRARY", "INSTSONAME"):
        lib = sysconfig.get_config_var(name)
        for d in (sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LIBPL")):
            if lib and d and os.path.exists(os.path.join(d, lib)):
                return os.path.join(d, lib)
    return None


def python_paths(module_path):
    """(what, path) of everything of the Python the children load."""
    paths = [("the Python executable", sys.executable)]
    base = getattr(sys, "_base_executable", None)
    if base and base != sys.executable:
        paths.append(("the Python the virtual environment was made from", base))
    lib = _libpython()
    if lib:
        paths.append(("libpython", lib))
    paths.append(("the Python standard library", os.__file__))
    import encodings
    paths.append(("the Python standard library", encodings.__file__))
    paths.append(("site-packages", sysconfig.get_paths()["purelib"]))
    try:
        import _cffi_backend
        paths.append(("cffi", _cffi_backend.__file__))
    except ImportError:
        pass
    import mod_wsgi_ext
    paths.append(("the mod_wsgi_ext package", mod_wsgi_ext.__file__))
    paths.append(("the mod_wsgi_ext module", module_path))
    return paths


def check(user, python, application):
    """Refuse (UserError) when `user` cannot read a path: `python` and `application` are lists
    of (what, path)."""
    for what, path in python:
        why = unreadable_for(path, user)
        if why:
            real = os.path.realpath(path)
            where = path if real == os.path.abspath(path) else "%s (really %s)" % (path, real)
            raise UserError("mod_wsgi_ext: Apache runs its children as %s, which cannot read %s, "
                            "%s: %s; %s, or run mod-wsgi-ext as an ordinary user"
                            % (user, what, where, why, PYTHON_FIX))
    for what, path in application:
        why = unreadable_for(path, user)
        if why:
            raise UserError("mod_wsgi_ext: Apache runs its children as %s when started as root, "
                            "but %s (%s %s). Move it somewhere %s can read, such as /srv or "
                            "/opt, or run mod-wsgi-ext as an ordinary user"
                            % (user, why, what, path, user))

"""Entry point of a daemon process: ``python -m mod_wsgi_ext.daemon OPTIONS`` or, for a group with
``python-home`` (whose Python need not have mod_wsgi_ext installed), ``python FILE OPTIONS`` with
this file's path: then only this package is made importable (not the rest of the site-packages it
was installed in), so the group's virtual environment decides every other import.

Options are written by the Apache parent (``_csrc/daemon.c``); none of them is a secret (argv is
visible in /proc).  Exit status 2: could not boot (bad options, no secret on the pipe).
"""

import os
import sys


if not __package__:
    import importlib.util
    _here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == _here:
        del sys.path[0]
    _pkg = os.path.dirname(_here)
    _spec = importlib.util.spec_from_file_location(
        "mod_wsgi_ext", os.path.join(_pkg, "__init__.py"), submodule_search_locations=[_pkg])
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["mod_wsgi_ext"] = _mod
    _spec.loader.exec_module(_mod)

import argparse  # noqa: E402
import faulthandler  # noqa: E402
import site  # noqa: E402
import socket  # noqa: E402
import types  # noqa: E402

from mod_wsgi_ext.daemon import protocol as P  # noqa: E402
from mod_wsgi_ext.daemon import server  # noqa: E402
import mod_wsgi_ext  # noqa: E402
from mod_wsgi_ext.compat import events, modules  # noqa: E402
from mod_wsgi_ext.runtime import embedded, loader  # noqa: E402

EXIT_BOOT = 2


def parse(argv):
    a = argparse.ArgumentParser(prog="mod_wsgi_ext.daemon")
    add = a.add_argument
    add("--group", required=True)
    add("--index", type=int, default=0)
    add("--listen-fd", type=int, required=True)
    add("--secret-fd", type=int, required=True)
    add("--ready-fd", type=int, default=-1)
    add("--peer-uid", type=int, default=-1)
    add("--processes", type=int, default=1)
    add("--threads", type=int, default=15)
    add("--log-level", type=int, default=4)
    for name in ("maximum-requests", "umask"):
        add("--" + name, type=int, default=0)
    for name in ("request-timeout", "inactivity-timeout", "startup-timeout", "queue-timeout",
                 "socket-timeout", "restart-interval"):
        add("--" + name, type=float, default=0.0)
    add("--graceful-timeout", type=float, default=15.0)
    add("--deadlock-timeout", type=float, default=300.0)
    add("--shutdown-timeout", type=float, default=5.0)
    add("--python-path", action="append", default=[])
    add("--import", dest="imports", action="append", default=[], nargs=2,
        metavar=("SCRIPT", "APPLICATION_GROUP"), help="preload before serving")
    add("--display-name", default="")
    add("--server-version", default="Apache")
    add("--apache-description", default="")
    add("--apache-built", default="")
    add("--apache-mpm", default="")
    add("--apache-processes", type=int, default=0)
    add("--apache-threads", type=int, default=1)
    add("--lang", default="")
    add("--locale", default="")
    o = a.parse_args(argv)
    o.umask = o.umask if o.umask else None
    o.threads = max(o.threads, 1)
    return o


def read_secret(fd):
    """The digest of the secret on the pipe (protocol.secret_digest).  The secret itself is read
    into one buffer, zeroed at once: the process keeps only the digest, so whoever reads its
    memory (a process of its user, through /proc/PID/mem) cannot talk to the daemons with it."""
    buf = bytearray(P.SECRET_LEN)
    got = 0
    try:
        while got < P.SECRET_LEN:
            n = os.readv(fd, [memoryview(buf)[got:]])
            if not n:
                break
            got += n
        os.close(fd)
        if got != P.SECRET_LEN:
            raise SystemExit(EXIT_BOOT)
        return P.secret_digest(buf)
    finally:
        buf[:] = bytes(P.SECRET_LEN)


def set_display_name(name):
    """Shown by ps -e / top (the process name, at most 15 bytes on Linux)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15] + b"\0", 0, 0, 0)    # PR_SET_NAME
    except Exception:
        pass


def setup_python(o, daemon):
    if o.lang:
        os.environ["LANG"] = o.lang
    if o.locale:
        os.environ["LC_ALL"] = o.locale
    if o.lang or o.locale:
        import locale
        try:
            locale.setlocale(locale.LC_ALL, "")
        except locale.Error as e:
            daemon.log(server.APLOG_WARNING, "locale %s: %s" % (o.locale or o.lang, e))
    for entry in o.python_path:
        for d in entry.split(":"):
            if d:
                site.addsitedir(d)
    loader.PER_GROUP = True
    loader.MODE = "daemon process group '%s'" % o.group
    # The embedded-mode helpers (stdout/stderr to the error log, the mod_wsgi and apache
    # modules) log through the bridge module the C side makes in an Apache child; here it is a
    # module of the same name backed by the daemon's logger.
    bridge = types.ModuleType("mod_wsgi_ext._apache")
    bridge.log_error = daemon.log
    bridge.max_daemons = o.processes
    bridge.max_threads = o.threads
    bridge.threaded = True
    bridge.mpm = "daemon"
    bridge.server_version = o.server_version
    for name, level in (("APLOG_CRIT", 2), ("APLOG_ERR", 3), ("APLOG_WARNING", 4),
                        ("APLOG_NOTICE", 5), ("APLOG_INFO", 6), ("APLOG_DEBUG", 7)):
        setattr(bridge, name, level)
    sys.modules["mod_wsgi_ext._apache"] = bridge
    mod_wsgi_ext._apache = bridge
    embedded._apache = bridge
    embedded._group = ""
    events._log = daemon.log
    loader.log = daemon.log
    sys.stdout = embedded._LogStream(server.APLOG_ERR, "")
    sys.stderr = embedded._LogStream(server.APLOG_ERR, "")
    # the apache module describes Apache (its MPM, its children); mod_wsgi this daemon group
    apache_facts = types.SimpleNamespace(
        server_version=o.server_version,
        server_description=o.apache_description or o.server_version,
        build_date=o.apache_built, mpm=o.apache_mpm, max_daemons=o.apache_processes,
        max_threads=o.apache_threads, threaded=o.apache_threads > 1)
    sys.modules.setdefault("apache", modules.build_apache(apache_facts))
    modules.install(bridge, "", o.group)
    sys.argv = ["mod_wsgi"]


def preload(o, daemon):
    for script, group in o.imports:
        try:
            loader.load_module(script, False, group)
        except loader.LoadError as err:
            embedded._log_load_error(daemon.log, err)


def main(argv=None):
    o = parse(sys.argv[1:] if argv is None else argv)
    try:
        secret = read_secret(o.secret_fd)
        listener = socket.socket(fileno=o.listen_fd)
    except (OSError, SystemExit):
        os.write(2, b"mod_wsgi_ext daemon: cannot read the secret or the listening socket\n")
        return EXIT_BOOT
    if o.umask is not None:
        os.umask(o.umask)
    faulthandler.enable(file=sys.__stderr__, all_threads=True)
    daemon = server.Daemon(o, listener, secret)
    set_display_name(o.display_name or "wsgi:" + o.group)
    setup_python(o, daemon)
    server.install_signals(daemon)
    if o.startup_timeout:
        faulthandler.dump_traceback_later(o.startup_timeout, exit=True, file=sys.__stderr__)
    preload(o, daemon)
    if o.startup_timeout:
        faulthandler.cancel_dump_traceback_later()
    daemon.log(server.APLOG_INFO, "process %d started (threads=%d)" % (o.index, o.threads))
    if o.ready_fd >= 0:     # the parent backs off only for a process that never got this far
        try:
            os.write(o.ready_fd, b"1")
            os.close(o.ready_fd)
        except OSError:
            pass
    daemon.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

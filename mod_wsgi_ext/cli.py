"""The ``mod-wsgi-ext`` command (also ``python -m mod_wsgi_ext``).

  module-config   print the LoadModule and WSGIPythonHome lines for an Apache configuration
  serve APP       write a server root and run Apache in the foreground (Ctrl-C stops it)
  setup-server    write the server root and an apachectl script, and say how to start it

This module owns the commands: parsing (options in ``cliopts``), the pre-flight check
(``preflight``), writing the server root (``serverroot``, ``serverconf``) and running Apache for
``serve``: it starts Apache as its child, says "serving" only once Apache answers, relays its
output, stops it on Ctrl-C and removes the server root it made. A user error is one line on
stderr and exit status 2, never a traceback.
"""

import argparse
import glob
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from mod_wsgi_ext import cliopts, preflight, serverconf
from mod_wsgi_ext.quoting import DOLLAR_DEFINE, conf_quote, sh_join, sh_quote
from mod_wsgi_ext.serverroot import (UserError, check_read_by_root, check_written_by_root,
                                     make_server_root)

PKG = os.path.dirname(os.path.abspath(__file__))
APACHE = shutil.which("apache2") or shutil.which("httpd") or "/usr/sbin/apache2"
DAEMON_MODE = True       # daemon mode is in the module: serve in daemon mode unless --embedded
DAEMON_NOTE = "mod_wsgi_ext: daemon mode is not available yet; serving in embedded mode"


def module_path():
    found = sorted(glob.glob(os.path.join(PKG, "_ext*.so")))
    if not found:
        raise UserError("mod_wsgi_ext: the Apache module was not built (no _ext*.so in %s); "
                        "reinstall with 'pip install .'" % PKG)
    return found[0]


def load_module_line():
    return "LoadModule wsgi_ext_module %s" % conf_quote(module_path(), "the module path")


def module_config():
    home = conf_quote(sys.prefix, "the Python environment")
    lines = "%s\nWSGIPythonHome %s\n" % (load_module_line(), home)
    if "${wx_dollar}" in lines:
        lines = DOLLAR_DEFINE + "\n" + lines
    return lines


def version():
    try:
        from importlib.metadata import version as dist_version
        v = dist_version("mod_wsgi_ext")
    except Exception:
        v = "unknown"
    return "mod-wsgi-ext %s (Python %s)" % (v, sys.version.split()[0])


# ------------------------------------------------------------------------------- writing

def _run_user(opts):
    """(user, group) for the Apache children when started as root, else None."""
    if os.geteuid() != 0:
        if opts.user or opts.group:
            print("mod_wsgi_ext: --user/--group only apply when run as root; the server runs as "
                  "you", file=sys.stderr)
        return None
    names = [opts.user] if opts.user else ["www-data", "nobody"]
    for name in names:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        group = opts.group or grp.getgrgid(pw.pw_gid).gr_name
        try:
            grp.getgrnam(group)
        except KeyError:
            raise UserError("mod_wsgi_ext: --group %s: no such group" % group) from None
        if pw.pw_uid == 0:
            raise UserError("mod_wsgi_ext: --user %s: Apache refuses to run its children as "
                            "root; choose an unprivileged user" % name)
        return name, group
    if opts.user:
        raise UserError("mod_wsgi_ext: --user %s: no such user" % opts.user)
    raise UserError("mod_wsgi_ext: no unprivileged user (www-data or nobody) to run Apache "
                    "children as; give --user")


def _default_working_directory(opts, user):
    """Express puts the current directory on the path. When the children's user cannot read it
    (as root, the usual /root), or every user may write to it (/tmp: any of them could drop a
    .pth file or a module there that the application's processes run), fall back to the
    application's folder. Returns the note to print once the server root is written (a refusal
    stays one line)."""
    if opts.working_directory or not (opts.entry_point or opts.app):
        return
    cwd = os.getcwd()
    if opts.application_type == "module":
        return
    folder = os.path.dirname(os.path.abspath(opts.entry_point or opts.app))
    if user and preflight.unreadable_for(cwd, user):
        opts.working_directory = folder
        return ("mod_wsgi_ext: %s cannot read the current directory %s; the application runs "
                "in %s (give --working-directory to choose)" % (user, cwd, folder))
    elif _writable_by_all(cwd):
        opts.working_directory = folder
        return ("mod_wsgi_ext: every user may write to the current directory %s; the "
                "application runs in %s (give --working-directory to choose)" % (cwd, folder))


def _writable_by_all(path):
    try:
        return bool(os.stat(path).st_mode & 0o002)
    except OSError:
        return False


def _check_python_path(opts):
    """The Python path (the working directory first) is where the application's processes
    import from and run the .pth files of (site.addsitedir): a directory every user may write
    to (/tmp, even sticky) would let any of them run code as the application."""
    for d in opts.python_path:
        if _writable_by_all(d):
            what = ("the working directory %s" % d if d == opts.working_directory
                    else "--python-path %s" % d)
            raise UserError("mod_wsgi_ext: %s is writable by every user, and the application's "
                            "processes import modules and run .pth files from it; use a "
                            "directory only you (and root) can write to" % what)


def _application_paths(opts):
    paths = [("the application", opts.entry)] if opts.application_type != "module" else []
    paths += [("--url-alias", p) for _, p in opts.url_alias]
    paths += [("the working directory (--working-directory)", opts.working_directory)]
    paths += [("--python-path", p) for p in opts.python_path if p != opts.working_directory]
    paths += [("--document-root", opts.document_root)] if opts.document_root else []
    paths += [(name, getattr(opts, attr)) for name, attr in
              (("--auth-user-script", "auth_user_script"),
               ("--host-access-script", "host_access_script"),
               ("--phases", "phases")) if getattr(opts, attr)]
    return paths


def _check_files_apache_opens(opts):
    """What Apache opens as the one who starts it (root, usually), outside the server root: the
    log files it writes and the files it Includes. Nobody else may have a say in them."""
    in_root = "\0server root"       # those in the server root are make_server_root's
    error_log, access_log = serverconf._log_targets(opts, in_root)
    logs = [("--error-log", error_log), ("--access-log", access_log),
            ("--startup-log", serverconf.startup_log_path(opts, in_root))]
    for what, path in logs:
        if not path or path.startswith(in_root):
            continue
        if opts.log_directory and os.path.dirname(path) == opts.log_directory:
            what = "--log-directory"
        check_written_by_root(path, what)
    for path in opts.include_file:
        check_read_by_root(path, "--include-file")


def write_server_root(opts):
    """Validate, check, write. Returns (ServerRoot, conf path, startup log path)."""
    run_user = _run_user(opts)
    note = _default_working_directory(opts, run_user and run_user[0])
    cliopts.validate(opts)
    _check_python_path(opts)
    cliopts.parse_host(opts.host)
    if os.geteuid() != 0:
        for name in ("port", "https_port"):
            port = getattr(opts, name)
            if port is not None and port < 1024:
                raise UserError("mod_wsgi_ext: --%s %d: ports below 1024 need root; use 8000 or "
                                "another port above 1023" % (name.replace("_", "-"), port))
    if run_user:
        paths = _application_paths(opts)
        if opts.server_root:
            # the children read startup.py (and handler.wsgi) there
            # (a symlink or a file there is refused by make_server_root, with its own reason)
            given = os.path.abspath(opts.server_root)
            if not os.path.lexists(given):
                while not os.path.lexists(given):
                    given = os.path.dirname(given)
                paths.append(("--server-root", given))
            elif os.path.isdir(given) and not os.path.islink(given):
                paths.append(("--server-root", given))
        preflight.check(run_user[0], preflight.python_paths(module_path()), paths)
    daemon = DAEMON_MODE and not opts.embedded
    # the whole configuration is built (every value quoted, or refused) before anything is
    # written; the server root then gets its real path
    if opts.server_root:
        conf_quote(os.path.abspath(opts.server_root), "--server-root")
    serverconf.httpd_conf(opts, "/", load_module_line(), run_user, daemon)
    _check_files_apache_opens(opts)
    root = make_server_root(opts.server_root, "%s-%d" % (opts.host.strip("[]"), opts.port))
    try:
        conf = serverconf.httpd_conf(opts, root.path, load_module_line(), run_user, daemon)
        conf_path = root.write("httpd.conf", conf)
        root.write("startup.py", serverconf.startup_source(opts))
        handler = serverconf.handler_source(opts)
        if handler:
            root.write("handler.wsgi", handler)
        startup_log = serverconf.startup_log_path(opts, root.path)
        root.write("apachectl", serverconf.apachectl(APACHE, conf_path, startup_log), 0o755)
    except OSError as e:
        root.remove()
        raise UserError("mod_wsgi_ext: cannot write the server root %s: %s"
                        % (root.path, e.strerror)) from None
    except BaseException:
        root.remove()
        raise
    if note:
        print(note, file=sys.stderr)
    if not opts.embedded and not daemon:
        print(DAEMON_NOTE, file=sys.stderr)
    for dest, name, default, _ in cliopts.DAEMON_OPTIONS:
        if not daemon and getattr(opts, dest) != default and dest != "maximum_requests":
            print("mod_wsgi_ext: --%s takes effect in daemon mode" % name, file=sys.stderr)
    if not daemon and opts.max_clients:
        print("mod_wsgi_ext: --max-clients takes effect in daemon mode", file=sys.stderr)
    return root, conf_path, startup_log


# ------------------------------------------------------------------------------- serve

def _port_free(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            return e.strerror
    return None


def _probe_host(host):
    bare = host.strip("[]")
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(bare, bare)


def _answers(host, port):
    """Apache answers HTTP (``OPTIONS *``, which Apache's core answers without the application;
    the port was free before Apache started, so it is this Apache)."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b"OPTIONS * HTTP/1.0\r\nUser-Agent: %s\r\n\r\n"
                      % serverconf.PROBE_AGENT.encode())
            return s.recv(5) == b"HTTP/"
    except OSError:
        return False


def _relay(src, dst, on_reload=None, mark=None):
    """Copy Apache's output to ours; `on_reload` when a child reports a change it could not act
    on itself (children of a root Apache may not signal it): a line holding `mark`, which
    carries a secret of this run (serverconf.reload_mark)."""
    for line in iter(src.readline, b""):
        try:
            dst.write(line)
            dst.flush()
        except (OSError, ValueError):
            pass
        if on_reload and mark in line:
            on_reload()


def serve(opts, root, conf, startup_log):
    host = _probe_host(opts.host)
    for port in filter(None, (opts.port, opts.https_port)):
        why = _port_free(host, port)
        if why:
            root.remove()
            raise UserError("mod_wsgi_ext: cannot listen on %s port %d: %s; choose another "
                            "--port or stop what uses it" % (opts.host, port, why))
    root.close()
    args = [APACHE, "-f", conf, "-DFOREGROUND"] + (["-E", startup_log] if startup_log else [])
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    # Apache's output goes through pipes we relay: /dev/stderr is then always openable by
    # Apache, whoever owns this command's stderr
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        root.remove()
        raise UserError("mod_wsgi_ext: cannot run %s: %s; install Apache (apt-get install "
                        "apache2)" % (APACHE, e.strerror)) from None
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    def graceful():
        if proc.poll() is None and not stopping:
            proc.send_signal(signal.SIGUSR1)

    relays = [threading.Thread(target=_relay, args=(proc.stdout, sys.stdout.buffer), daemon=True),
              threading.Thread(target=_relay, args=(proc.stderr, sys.stderr.buffer,
                                                    graceful if opts.reload_on_changes else None,
                                                    serverconf.reload_mark(opts)),
                               daemon=True)]
    for t in relays:
        t.start()
    _, _, url_host = cliopts.parse_host(opts.host)
    timeout = max(30, opts.startup_timeout * 2)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not stopping:
        if os.path.exists(os.path.join(root.path, "httpd.pid")) and _answers(host, opts.port):
            print("mod_wsgi_ext: serving %s on http://%s:%d%s (server root %s); Ctrl-C stops"
                  % (opts.entry, url_host, opts.port, opts.mount_point, root.path),
                  file=sys.stderr, flush=True)
            break
        if time.monotonic() > deadline:
            print("mod_wsgi_ext: Apache did not answer within %d seconds; stopping it" % timeout,
                  file=sys.stderr)
            stop(None, None)
            break
        time.sleep(0.05)
    rc = proc.wait()
    for t in relays:
        t.join(5)
    root.remove()
    if stopping:
        return 0
    print("mod_wsgi_ext: Apache exited with status %d (its messages are above)" % rc,
          file=sys.stderr)
    return 1


# ------------------------------------------------------------------------------- main

def _parser():
    parser = argparse.ArgumentParser(prog="mod-wsgi-ext", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("module-config", help="print the LoadModule and WSGIPythonHome lines")
    for name, text in (("serve", "run Apache in the foreground; Ctrl-C stops it"),
                       ("setup-server", "write a server root with an apachectl script")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--version", action="version", version=version())
        cliopts.add_server_options(p, name)
    return parser


def main(argv=None):
    try:
        return _main(argv)
    except UserError as e:
        print(e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`... | head -1`): no traceback, and none at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv):
    opts = _parser().parse_args(argv)
    if opts.command == "module-config":
        sys.stdout.write(module_config())
        return 0
    if opts.setup_only:
        opts.command = "setup-server"
    root, conf, startup_log = write_server_root(opts)
    if opts.command == "setup-server":
        root.close()
        ctl = os.path.join(root.path, "apachectl")
        print("Server root written to %s\nStart it with:  %s\n"
              "Stop it with:   %s\nOr in the foreground:  %s"
              % (sh_quote(root.path), sh_join([ctl, "start"]), sh_join([ctl, "stop"]),
                 sh_join([ctl, "foreground"])))
        return 0
    return serve(opts, root, conf, startup_log)

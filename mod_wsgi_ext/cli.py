"""The ``mod-wsgi-ext`` command (also ``python -m mod_wsgi_ext``).

  module-config   print the LoadModule and WSGIPythonHome lines for an Apache configuration
  serve APP       write a server root and run Apache in the foreground (Ctrl-C stops it)
  setup-server    write the server root and an apachectl script, and say how to start it
"""

import argparse
import glob
import grp
import ipaddress
import os
import pwd
import re
import shutil
import stat
import string
import sys

from mod_wsgi_ext.quoting import (DOLLAR_DEFINE, conf_dir_quote, conf_quote, sh_join,
                                  sh_quote)
from mod_wsgi_ext.serverroot import UserError, make_server_root

PKG = os.path.dirname(os.path.abspath(__file__))
APACHE = shutil.which("apache2") or shutil.which("httpd") or "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"


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


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def parse_host(host):
    """(Listen address, ServerName, host for URLs) for --host.

    An IPv6 address (``::1`` or ``[::1]``) needs brackets in ``Listen`` and in a URL; Apache
    accepts no IPv6 literal as ``ServerName`` (brackets are a wildcard there, and the colons a
    port), so the name is ``localhost``; requests still carry their own Host.
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        ip = None
    if ip is not None and ip.version == 6:
        return "[%s]" % ip.compressed, "localhost", "[%s]" % ip.compressed
    if bare != host:
        raise UserError("mod_wsgi_ext: --host %s: brackets are only for an IPv6 address" % host)
    if ip is not None:
        return str(ip), str(ip), str(ip)
    if ":" in host and host.rsplit(":", 1)[1].isdigit():
        raise UserError("mod_wsgi_ext: --host %s: give the address without a port and the port "
                        "with --port" % host)
    if not _HOSTNAME.match(host):
        raise UserError("mod_wsgi_ext: --host %r is not an IP address or a host name" % host)
    return host, host, host


# ---------------------------------------------------------------------------------- serve

def _run_user():
    """(user, group) for the Apache children when started as root."""
    for name in ("www-data", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return name, grp.getgrgid(pw.pw_gid).gr_name
        except KeyError:
            continue
    raise UserError("mod_wsgi_ext: no unprivileged user (www-data or nobody) to run Apache "
                     "children as")


def _unreadable_for(path, user):
    """Why `user` cannot read `path` (every directory on the way must be searchable), or None."""
    pw = pwd.getpwnam(user)
    groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {pw.pw_gid}

    def allowed(st, bits):
        if st.st_uid == pw.pw_uid:
            return (st.st_mode >> 6) & bits == bits
        if st.st_gid in groups:
            return (st.st_mode >> 3) & bits == bits
        return st.st_mode & bits == bits

    path = os.path.abspath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts)):
        d = os.sep.join(parts[:i])
        if not allowed(os.stat(d), 1):
            return "the directory %s is not searchable by %s" % (d, user)
    st = os.stat(path)
    if not allowed(st, 5 if stat.S_ISDIR(st.st_mode) else 4):
        return "%s is not readable by %s" % (path, user)
    return None


def _template(name):
    with open(os.path.join(PKG, "templates", name)) as f:
        return string.Template(f.read())


def write_server_root(opts):
    app = os.path.abspath(opts.app)
    if not os.path.isfile(app):
        raise UserError("mod_wsgi_ext: no such WSGI script: %s" % app)
    for url, path in opts.url_alias:
        if not url.startswith("/"):
            raise UserError("mod_wsgi_ext: --url-alias %s %s: the URL must start with '/'"
                            % (url, path))
        if not os.path.exists(path):
            raise UserError("mod_wsgi_ext: --url-alias %s %s: no such file or directory"
                            % (url, path))
    if not 1 <= opts.port <= 65535:
        raise UserError("mod_wsgi_ext: --port %d is not a port number (1-65535)" % opts.port)
    listen, server_name, _ = parse_host(opts.host)
    user_lines = ""
    if os.geteuid() == 0:
        user, group = _run_user()
        user_lines = "User %s\nGroup %s\n" % (user, group)
        for path in [app, module_path(), sys.executable] + [p for _, p in opts.url_alias]:
            why = _unreadable_for(path, user)
            if why:
                raise UserError(
                    "mod_wsgi_ext: Apache runs its children as %s when started as root, but %s.\n"
                    "Move the application (and the Python environment) somewhere %s can read, "
                    "such as /srv or /opt, or run mod-wsgi-ext as an ordinary user." %
                    (user, why, user))
    # every value is quoted before anything is written
    app_q = conf_quote(app, "the WSGI script path")
    app_dir_q = conf_dir_quote(os.path.dirname(app), "the WSGI script's folder")
    aliases = "".join(_alias(url, os.path.abspath(path)) for url, path in opts.url_alias)
    if opts.server_root:
        conf_quote(os.path.abspath(opts.server_root), "--server-root")
    sroot = make_server_root(opts.server_root, "%s-%d" % (opts.host.strip("[]"), opts.port))
    root = sroot.path
    if not opts.embedded:
        print("mod_wsgi_ext: daemon mode is not available yet; serving in embedded mode",
              file=sys.stderr)
    mpm = opts.mpm
    if mpm == "prefork":
        # single-threaded children: as many of them as the event MPM would have threads, so
        # that one keep-alive client cannot hold the only worker
        total = opts.processes * opts.threads
        mpm_conf = ("StartServers %d\nMinSpareServers 1\nMaxSpareServers %d\n"
                    "MaxRequestWorkers %d\nServerLimit %d\n"
                    % (opts.processes, max(opts.processes, 1), total, total))
    else:
        total = opts.processes * opts.threads
        mpm_conf = ("StartServers %d\nServerLimit %d\nThreadsPerChild %d\nThreadLimit %d\n"
                    "MaxRequestWorkers %d\nMinSpareThreads 1\nMaxSpareThreads %d\n"
                    % (opts.processes, opts.processes, opts.threads, opts.threads, total, total))
    try:
        conf = _template("httpd.conf").substitute(
            dollar_define=DOLLAR_DEFINE, root=conf_quote(root, "--server-root"),
            server_name=conf_quote(server_name, "--host"),
            listen=conf_quote("%s:%d" % (listen, opts.port), "--host"),
            pid_file=conf_quote(os.path.join(root, "httpd.pid"), "--server-root"),
            socket_prefix=conf_quote(os.path.join(root, "wsgi"), "--server-root"),
            moddir=MODDIR, mpm=mpm, mpm_conf=mpm_conf,
            user_lines=user_lines, load_module=load_module_line(),
            python_home=conf_quote(sys.prefix, "the Python environment"),
            app=app_q, app_dir=app_dir_q, aliases=aliases,
            error_log=conf_quote(_log_path(opts.error_log, opts.command, root, "error_log",
                                           "/dev/stderr"), "--error-log"),
            access_log=conf_quote(_log_path(opts.access_log, opts.command, root, "access_log",
                                            "/dev/stdout"), "--access-log"))
        conf_path = sroot.write("httpd.conf", conf)
        sroot.write("apachectl", _template("apachectl").substitute(
            apache=sh_quote(APACHE), conf=sh_quote(conf_path)), mode=0o755)
    except BaseException:
        sroot.remove()
        raise
    sroot.close()
    return root, conf_path


def _alias(url, path):
    """An Alias for a directory or a single file, open to all clients."""
    what = "--url-alias %s %s" % (url, path)
    if os.path.isdir(path):
        access = ('<Directory %s>\n    Require all granted\n</Directory>\n'
                  % conf_dir_quote(path, what))
    else:
        access = ('<Directory %s>\n    <Files %s>\n        Require all granted\n    </Files>\n'
                  '</Directory>\n' % (conf_dir_quote(os.path.dirname(path), what),
                                       conf_dir_quote(os.path.basename(path), what)))
    return "Alias %s %s\n%s" % (conf_quote(url, what), conf_quote(path, what), access)


def _log_path(given, command, root, name, terminal):
    """serve logs to the terminal; a server started by apachectl has none, so files."""
    if given:
        return os.path.abspath(given)
    return terminal if command == "serve" else os.path.join(root, name)


def _add_server_options(p):
    p.add_argument("app", help="the WSGI script to serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--embedded", action="store_true", help="run the application in the Apache "
                   "children (the only mode so far)")
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--threads", type=int, default=5)
    p.add_argument("--mpm", choices=("event", "prefork"), default="event")
    p.add_argument("--url-alias", nargs=2, action="append", default=[], metavar=("URL", "PATH"),
                   help="serve the files in PATH at URL (static files)")
    p.add_argument("--server-root", help="where to write the configuration (default "
                   "/tmp/mod_wsgi_ext-HOST-PORT-UID)")
    p.add_argument("--error-log", help=argparse.SUPPRESS)
    p.add_argument("--access-log", help=argparse.SUPPRESS)


def main(argv=None):
    try:
        return _main(argv)
    except UserError as e:
        print(e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _main(argv):
    parser = argparse.ArgumentParser(prog="mod-wsgi-ext", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("module-config", help="print the LoadModule and WSGIPythonHome lines")
    _add_server_options(sub.add_parser("serve", help="run Apache in the foreground"))
    _add_server_options(sub.add_parser("setup-server", help="write a server root"))
    opts = parser.parse_args(argv)
    if opts.command == "module-config":
        sys.stdout.write(module_config())
        return 0
    root, conf = write_server_root(opts)
    ctl = os.path.join(root, "apachectl")
    if opts.command == "setup-server":
        print("Server root written to %s\nStart it with:  %s\n"
              "Stop it with:   %s\nOr in the foreground:  %s"
              % (sh_quote(root), sh_join([ctl, "start"]), sh_join([ctl, "stop"]),
                 sh_join([ctl, "foreground"])))
        return 0
    print("mod_wsgi_ext: serving %s on http://%s:%d/ (server root %s); Ctrl-C stops"
          % (opts.app, parse_host(opts.host)[2], opts.port, root), file=sys.stderr, flush=True)
    os.execv(APACHE, [APACHE, "-f", conf, "-DFOREGROUND"])

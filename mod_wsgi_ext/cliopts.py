"""The options of ``serve`` and ``setup-server``: names, help and defaults (the mod_wsgi-express
names and meanings), and their validation before anything is written or started.

:func:`add_server_options` declares them; :func:`validate` checks every value (ports, counts,
paths, names) and raises :class:`UserError` with one line naming the option. ``docs/cli.md``
lists the same options; ``tests/unit/test_cli_options.py`` checks that it lists every one.
"""

import argparse
import ipaddress
import os
import re

from mod_wsgi_ext.serverroot import UserError

LOG_LEVELS = ("emerg", "alert", "crit", "error", "warn", "notice", "info", "debug") + tuple(
    "trace%d" % i for i in range(1, 9))
MPMS = ("event", "worker", "prefork")

# options of the daemon process group: (dest, WSGIDaemonProcess option, express default, help)
DAEMON_OPTIONS = [
    ("maximum_requests", "maximum-requests", 0,
     "requests after which a process is replaced (0: never); in embedded mode it sets "
     "MaxConnectionsPerChild"),
    ("request_timeout", "request-timeout", 60,
     "seconds a request may run before its process is replaced"),
    ("graceful_timeout", "graceful-timeout", 15,
     "seconds requests in flight get to finish when a process is replaced"),
    ("startup_timeout", "startup-timeout", 15,
     "seconds a process may take to load the application"),
    ("queue_timeout", "queue-timeout", 45,
     "seconds a request may wait for a free thread before it gets a 504"),
    ("inactivity_timeout", "inactivity-timeout", 0,
     "seconds without requests after which a process is replaced (0: never)"),
    ("shutdown_timeout", "shutdown-timeout", 5,
     "seconds a process gets to exit when stopped"),
    ("restart_interval", "restart-interval", 0,
     "seconds after which a process is replaced anyway (0: never)"),
    ("deadlock_timeout", "deadlock-timeout", 60,
     "seconds the Python GIL may stay held before the process is replaced"),
    ("connect_timeout", "connect-timeout", 15,
     "seconds an Apache child waits to connect to a daemon process"),
    ("socket_timeout", "socket-timeout", 60,
     "seconds an Apache child waits for data from a daemon process"),
]


class HelpFormatter(argparse.HelpFormatter):
    """Shows a default only where there is one worth showing."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        return text + " (default: %(default)s)"


def _group(p, title):
    return p.add_argument_group(title)


def add_server_options(p, command):
    """The options of `serve` / `setup-server` on parser `p`."""
    p.formatter_class = HelpFormatter
    p.add_argument("app", nargs="?", metavar="APP",
                   help="the WSGI script file (or module name / paste .ini with "
                   "--application-type); the same as --entry-point")
    g = _group(p, "application")
    g.add_argument("--entry-point", metavar="FILE-PATH|MODULE",
                   help="the WSGI script, module or paste config (instead of APP)")
    g.add_argument("--application-type", choices=("script", "module", "paste"),
                   default="script", help="script: a file path; module: an importable module "
                   "name such as mysite.wsgi; paste: a Paste Deploy .ini file")
    g.add_argument("--callable-object", default="application", metavar="NAME",
                   help="the name of the WSGI application object in the script or module")
    g.add_argument("--mount-point", default="/", metavar="URL-PATH",
                   help="the URL path the application is mounted at")
    g.add_argument("--url-alias", nargs=2, action="append", default=[],
                   metavar=("URL-PATH", "FILE-PATH"),
                   help="serve a static file or directory at URL-PATH; may be repeated")
    g.add_argument("--document-root", metavar="DIRECTORY-PATH",
                   help="serve the static files in this directory; requests for files that do "
                   "not exist there go to the application")
    g.add_argument("--python-path", action="append", default=[], metavar="DIRECTORY-PATH",
                   help="a directory to add to the Python path; may be repeated (the working "
                   "directory is always on the path)")
    g.add_argument("--working-directory", metavar="DIRECTORY-PATH",
                   help="the application's current directory, also on the Python path "
                   "(default: the directory the command is run from; as root, when the "
                   "children's user cannot read that, the application's folder)")
    g.add_argument("--reload-on-changes", action="store_true",
                   help="restart the processes running the application when any Python module "
                   "it loaded changes on disk (not only the script)")
    g.add_argument("--setenv", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                   help="add KEY=VALUE to every request's WSGI environ; may be repeated")
    g.add_argument("--passenv", action="append", default=[], metavar="KEY",
                   help="pass the environment variable KEY of this command into every "
                   "request's WSGI environ; may be repeated")

    g = _group(p, "server")
    g.add_argument("--host", default="127.0.0.1", metavar="IP-ADDRESS",
                   help="the address to listen on (IPv6 as ::1 or [::1])")
    g.add_argument("--port", type=int, default=8000, metavar="NUMBER",
                   help="the port for HTTP")
    g.add_argument("--https-port", type=int, metavar="NUMBER",
                   help="also serve HTTPS on this port (needs --ssl-certificate-file and "
                   "--ssl-certificate-key-file)")
    g.add_argument("--ssl-certificate-file", metavar="FILE-PATH", help="the certificate (PEM)")
    g.add_argument("--ssl-certificate-key-file", metavar="FILE-PATH",
                   help="the certificate's private key (PEM)")
    g.add_argument("--server-mpm", "--mpm", dest="mpm", choices=MPMS, default="event",
                   help="the Apache MPM (event and worker: threaded; prefork: one request per "
                   "child)")
    g.add_argument("--server-root", metavar="DIRECTORY-PATH",
                   help="where to write httpd.conf and apachectl (default: a new private "
                   "directory under $TMPDIR, which serve removes when it stops)")
    g.add_argument("--include-file", action="append", default=[], metavar="FILE-PATH",
                   help="an Apache configuration file to Include at the end; may be repeated")
    g.add_argument("--user", metavar="USERNAME",
                   help="when run as root: the user Apache's children run as (default: "
                   "www-data, else nobody)")
    g.add_argument("--group", metavar="GROUP",
                   help="when run as root: their group (default: the user's group)")

    g = _group(p, "processes and mode")
    g.add_argument("--embedded", "--embedded-mode", dest="embedded", action="store_true",
                   help="run the application in the Apache children (embedded mode; the "
                   "default until daemon mode is available)")
    g.add_argument("--processes", type=int, default=1, metavar="NUMBER",
                   help="processes running the application")
    g.add_argument("--threads", type=int, default=5, metavar="NUMBER",
                   help="threads per process (with prefork: processes x threads single-threaded "
                   "children)")
    g.add_argument("--max-clients", type=int, metavar="NUMBER",
                   help="daemon mode: the most simultaneous client connections Apache accepts "
                   "(default: 1.5 x processes x threads)")
    for dest, name, default, text in DAEMON_OPTIONS:
        g.add_argument("--" + name, type=int, default=default,
                       metavar="NUMBER" if dest == "maximum_requests" else "SECONDS",
                       help=text if dest == "maximum_requests" else "daemon mode: " + text)

    g = _group(p, "logging")
    g.add_argument("--log-directory", metavar="DIRECTORY-PATH",
                   help="write error_log and access_log there (default: serve logs to the "
                   "terminal, setup-server to the server root)")
    g.add_argument("--log-to-terminal", action="store_true",
                   help="logs to the terminal (the default of serve; for setup-server, the "
                   "logs of 'apachectl foreground')")
    g.add_argument("--log-level", choices=LOG_LEVELS, default="warn", metavar="NAME",
                   help="Apache's LogLevel (emerg ... debug, trace1-8)")
    g.add_argument("--error-log", metavar="FILE-PATH", help="the error log file")
    g.add_argument("--access-log", nargs="?", const=True, metavar="FILE-PATH",
                   help="the access log (on by default; a FILE-PATH writes it there: give it "
                   "as --access-log=FILE or after APP)")
    g.add_argument("--startup-log", action="store_true",
                   help="write Apache's start-up messages to startup_log in the log directory")

    g = _group(p, "access control")
    g.add_argument("--auth-user-script", metavar="SCRIPT-PATH",
                   help="a Python script with check_password() (WSGIAuthUserScript); the "
                   "application then requires a valid user")
    g.add_argument("--auth-type", choices=("Basic", "Digest"), default="Basic",
                   help="the HTTP authentication scheme for --auth-user-script")
    g.add_argument("--host-access-script", metavar="SCRIPT-PATH",
                   help="a Python script with allow_access() (WSGIAccessScript)")
    g.add_argument("--phases", metavar="SCRIPT-PATH",
                   help="a Python script with a wsgi_phases.Phases object named phases, whose "
                   "handlers run in Apache's request phases for the application "
                   "(WSGIPhaseScript)")

    g = _group(p, "this command")
    g.add_argument("--setup-only", action="store_true",
                   help="write the server root and exit without starting Apache (serve only; "
                   "the same as setup-server)")


def _positive(opts, name, lo=1, hi=100000):
    value = getattr(opts, name.replace("-", "_"))
    if value is not None and not lo <= value <= hi:
        raise UserError("mod_wsgi_ext: --%s %d: must be between %d and %d" % (name, value, lo, hi))


def _existing(opts_value, option, kind="file"):
    path = os.path.abspath(opts_value)
    ok = os.path.isdir(path) if kind == "directory" else os.path.isfile(path)
    if not ok:
        raise UserError("mod_wsgi_ext: %s %s: no such %s" % (option, opts_value, kind))
    return path


_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_ENVKEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate(opts):
    """Check and normalise `opts` in place; one UserError line for the first bad value."""
    entry = opts.entry_point or opts.app
    if opts.entry_point and opts.app:
        raise UserError("mod_wsgi_ext: give the application either as APP or as --entry-point, "
                        "not both")
    if not entry:
        raise UserError("mod_wsgi_ext: no application: give a WSGI script (or --entry-point)")
    if opts.application_type == "module":
        if not _MODULE.fullmatch(entry):
            raise UserError("mod_wsgi_ext: --application-type module: %r is not a module name "
                            "such as mysite.wsgi" % entry)
        opts.entry = entry
    elif opts.application_type == "paste":
        opts.entry = _existing(entry, "the paste configuration")
    else:
        path = os.path.abspath(entry)
        if not os.path.isfile(path):
            raise UserError("mod_wsgi_ext: no such WSGI script: %s" % path)
        opts.entry = path
    # fullmatch, not match(...$): '$' also matches before a final newline
    if not _ENVKEY.fullmatch(opts.callable_object):
        raise UserError("mod_wsgi_ext: --callable-object %r is not a Python name"
                        % opts.callable_object)
    mp = opts.mount_point
    if not mp.startswith("/") or "//" in mp or (len(mp) > 1 and mp.endswith("/")):
        raise UserError("mod_wsgi_ext: --mount-point %s: a URL path such as / or /app (no "
                        "trailing slash)" % mp)
    for url, path in opts.url_alias:
        if not url.startswith("/"):
            raise UserError("mod_wsgi_ext: --url-alias %s %s: the URL must start with '/'"
                            % (url, path))
        if not os.path.exists(path):
            raise UserError("mod_wsgi_ext: --url-alias %s %s: no such file or directory"
                            % (url, path))
    if opts.document_root:
        opts.document_root = _existing(opts.document_root, "--document-root", "directory")
    opts.working_directory = _existing(opts.working_directory or os.getcwd(),
                                       "--working-directory", "directory")
    paths = []
    for d in opts.python_path:
        d = _existing(d, "--python-path", "directory")
        if ":" in d:
            raise UserError("mod_wsgi_ext: --python-path %s: a ':' cannot be carried in a "
                            "Python path list; rename the directory" % d)
        paths.append(d)
    if ":" in opts.working_directory:
        raise UserError("mod_wsgi_ext: the working directory %s holds ':', which a Python path "
                        "list cannot carry; run from (or give --working-directory) another "
                        "directory" % opts.working_directory)
    opts.python_path = [opts.working_directory] + [d for d in paths
                                                  if d != opts.working_directory]
    for name in ("port", "https-port"):
        _positive(opts, name, 1, 65535)
    if opts.https_port is not None:
        if opts.https_port == opts.port:
            raise UserError("mod_wsgi_ext: --https-port %d is the same as --port"
                            % opts.https_port)
        if not (opts.ssl_certificate_file and opts.ssl_certificate_key_file):
            raise UserError("mod_wsgi_ext: --https-port needs --ssl-certificate-file and "
                            "--ssl-certificate-key-file")
    for name in ("ssl_certificate_file", "ssl_certificate_key_file"):
        if getattr(opts, name):
            setattr(opts, name, _existing(getattr(opts, name), "--" + name.replace("_", "-")))
    _positive(opts, "processes", 1, 1000)
    _positive(opts, "threads", 1, 1000)
    _positive(opts, "max-clients", 1, 100000)
    for dest, name, _, _ in DAEMON_OPTIONS:
        _positive(opts, name, 0, 10 ** 7)
    for key, _ in opts.setenv:
        if not _ENVKEY.fullmatch(key):
            raise UserError("mod_wsgi_ext: --setenv %r: not an environment variable name" % key)
    for key in opts.passenv:
        if not _ENVKEY.fullmatch(key):
            raise UserError("mod_wsgi_ext: --passenv %r: not an environment variable name"
                            % key)
    opts.include_file = [_existing(f, "--include-file") for f in opts.include_file]
    for name in ("auth_user_script", "host_access_script", "phases"):
        if getattr(opts, name):
            setattr(opts, name, _existing(getattr(opts, name), "--" + name.replace("_", "-")))
    if opts.log_directory:
        opts.log_directory = _existing(opts.log_directory, "--log-directory", "directory")
    for name in ("error_log",):
        if opts.error_log:
            opts.error_log = os.path.abspath(opts.error_log)
    if isinstance(opts.access_log, str):
        opts.access_log = os.path.abspath(opts.access_log)
    return opts


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
    if not _HOSTNAME.fullmatch(host):
        raise UserError("mod_wsgi_ext: --host %r is not an IP address or a host name" % host)
    return host, host, host


_HOSTNAME = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")

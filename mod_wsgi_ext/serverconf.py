"""The server root's contents for ``serve`` / ``setup-server``: ``httpd.conf``, ``apachectl``, the
generated ``startup.py`` (working directory, reload monitor) and, for ``--application-type
module|paste``, ``handler.wsgi``.

Every value reaches ``httpd.conf`` through :func:`quoting.conf_quote`, ``apachectl`` through
``shlex.quote``, and the generated Python files through ``repr()``. :func:`daemon_lines` is the
one place daemon-mode configuration (``WSGIDaemonProcess`` + ``WSGIProcessGroup``) is written.
"""

import os
import secrets
import string
import sys

from mod_wsgi_ext.cliopts import DAEMON_OPTIONS, parse_host
from mod_wsgi_ext.quoting import DOLLAR_DEFINE, conf_dir_quote, conf_quote, sh_quote

PKG = os.path.dirname(os.path.abspath(__file__))
MODDIR = "/usr/lib/apache2/modules"
GROUP_NAME = "mod_wsgi_ext"
PROBE_AGENT = "mod-wsgi-ext-serve-probe"


def _template(name):
    with open(os.path.join(PKG, "templates", name)) as f:
        return string.Template(f.read())


def _mpm_lines(opts, daemon):
    n, t = opts.processes, opts.threads
    if daemon:
        # the children only pass requests to the daemon processes: size them for the clients
        clients = opts.max_clients or max(10, int(1.5 * n * t))
        if opts.mpm == "prefork":
            return ["StartServers 1", "MinSpareServers 1", "MaxSpareServers %d" % clients,
                    "MaxRequestWorkers %d" % clients, "ServerLimit %d" % clients]
        servers = -(-clients // 25)                 # at most 25 threads per child
        per_child = -(-clients // servers)
        return ["StartServers 1", "ServerLimit %d" % servers, "ThreadsPerChild %d" % per_child,
                "ThreadLimit %d" % per_child, "MaxRequestWorkers %d" % (servers * per_child),
                "MinSpareThreads 1", "MaxSpareThreads %d" % (servers * per_child)]
    if opts.mpm == "prefork":
        # single-threaded children: as many of them as the event MPM would have threads, so
        # that one keep-alive client cannot hold the only worker
        return ["StartServers %d" % n, "MinSpareServers 1", "MaxSpareServers %d" % n,
                "MaxRequestWorkers %d" % (n * t), "ServerLimit %d" % (n * t)]
    return ["StartServers %d" % n, "ServerLimit %d" % n, "ThreadsPerChild %d" % t,
            "ThreadLimit %d" % t, "MaxRequestWorkers %d" % (n * t), "MinSpareThreads 1",
            "MaxSpareThreads %d" % (n * t)]


def daemon_lines(opts, user=None, group=None):
    """``WSGIDaemonProcess`` and ``WSGIProcessGroup`` for the options, as mod_wsgi-express
    writes them (key=value options; values quoted)."""
    words = ["WSGIDaemonProcess %s" % conf_quote(GROUP_NAME, "the daemon group"),
             "processes=%d" % opts.processes, "threads=%d" % opts.threads]
    for dest, name, _, _ in DAEMON_OPTIONS:
        words.append("%s=%d" % (name, getattr(opts, dest)))
    # ps shows at most 15 characters of a process name
    words.append("display-name=%s" % conf_quote("(wsgi:%d)" % opts.port, "--port"))
    words.append("home=%s" % conf_quote(opts.working_directory, "--working-directory"))
    words.append("python-path=%s" % conf_quote(":".join(opts.python_path), "--python-path"))
    words.append("python-home=%s" % conf_quote(sys.prefix, "the Python environment"))
    if user:
        words.append("user=%s" % conf_quote(user, "--user"))
    if group:
        words.append("group=%s" % conf_quote(group, "--group"))
    return [" \\\n    ".join(words), "WSGIProcessGroup %s" % conf_quote(GROUP_NAME,
                                                                      "the daemon group")]


def handler_source(opts):
    """handler.wsgi for module / paste applications (None for a script)."""
    if opts.application_type == "module":
        return ("# Written by mod-wsgi-ext: the application of module %s.\n"
                "import importlib\n\n"
                "application = getattr(importlib.import_module(%r), %r)\n"
                % (opts.entry, opts.entry, opts.callable_object))
    if opts.application_type == "paste":
        return ("# Written by mod-wsgi-ext: the application of a Paste Deploy configuration.\n"
                "from paste.deploy import loadapp\n\n"
                "application = loadapp('config:' + %r)\n" % opts.entry)
    return None


STARTUP = '''\
"""Written by mod-wsgi-ext: runs in each process that serves the application, before its first
request (WSGIImportScript). Edit the command line, not this file."""
import os
import sys

os.chdir(%(cwd)r)
RELOAD_ON_CHANGES = %(reload)r
# 'serve' restarts Apache on the change line only when it carries this run's token: a client
# whose URL an application logs cannot restart the server
RELOAD_TOKEN = %(token)r
WATCH = %(watch)r


def _reload_on_changes():
    """--reload-on-changes: every second, compare the modification time of every loaded
    module's file (and the application's) with the first one seen, or with this process's start
    for a file first seen later than that. On a change, restart the server gracefully (requests
    in flight finish; new processes import everything afresh): signal Apache's parent when this
    process may (the children run as the user who started Apache), else log the change for
    'mod-wsgi-ext serve', which watches for that line and restarts Apache itself."""
    import signal
    import threading
    import time

    started = time.time_ns()
    seen = {}

    def files():
        for module in list(sys.modules.values()):
            name = getattr(module, "__file__", None)
            if isinstance(name, str):
                yield name
        yield from WATCH

    def loop():
        while True:
            time.sleep(1)
            for name in files():
                try:
                    mtime = os.stat(name).st_mtime_ns
                except OSError:
                    continue
                if seen.setdefault(name, min(mtime, started)) != mtime:
                    print("mod_wsgi_ext: %%s changed; restarting the server gracefully "
                          "(--reload-on-changes) [%%s]" %% (name, RELOAD_TOKEN),
                          file=sys.stderr, flush=True)
                    try:
                        os.kill(os.getppid(), signal.SIGUSR1)
                    except OSError:
                        pass
                    return

    threading.Thread(target=loop, name="mod_wsgi_ext reload-on-changes", daemon=True).start()


if RELOAD_ON_CHANGES:
    _reload_on_changes()
'''


def reload_token(opts):
    """A secret of this run for the reload line (see STARTUP)."""
    if not getattr(opts, "reload_token", None):
        opts.reload_token = secrets.token_hex(8)
    return opts.reload_token


def reload_mark(opts):
    """What 'serve' looks for in Apache's error output to restart it."""
    return ("restarting the server gracefully (--reload-on-changes) [%s]"
            % reload_token(opts)).encode()


def startup_source(opts):
    watch = [opts.entry] if opts.application_type != "module" else []
    return STARTUP % dict(cwd=opts.working_directory, reload=bool(opts.reload_on_changes),
                          token=reload_token(opts),
                          watch=watch)


def _alias(url, path):
    """An Alias for a directory or a single file, open to all clients."""
    what = "--url-alias %s %s" % (url, path)
    if os.path.isdir(path):
        access = ["<Directory %s>" % conf_dir_quote(path, what), "    Require all granted",
                  "</Directory>"]
    else:
        access = ["<Directory %s>" % conf_dir_quote(os.path.dirname(path), what),
                  "    <Files %s>" % conf_dir_quote(os.path.basename(path), what),
                  "        Require all granted", "    </Files>", "</Directory>"]
    return ["Alias %s %s" % (conf_quote(url, what), conf_quote(path, what))] + access


def _log_targets(opts, root):
    """(error log, access log or None) paths."""
    terminal = (opts.command == "serve" or opts.log_to_terminal) and not opts.log_directory
    base = opts.log_directory or root
    error = opts.error_log or ("/dev/stderr" if terminal else os.path.join(base, "error_log"))
    if isinstance(opts.access_log, str):
        access = opts.access_log
    else:
        access = "/dev/stdout" if terminal else os.path.join(base, "access_log")
    return error, access


def startup_log_path(opts, root):
    return os.path.join(opts.log_directory or root, "startup_log") if opts.startup_log else None


def httpd_conf(opts, root, load_module_line, run_user, daemon):
    """The text of httpd.conf. `run_user`: (user, group) when started as root, else None;
    `daemon`: write daemon-mode configuration (else embedded)."""
    q = conf_quote
    listen, server_name, _ = parse_host(opts.host)
    error_log, access_log = _log_targets(opts, root)
    mods = ["mpm_%s" % opts.mpm, "authz_core", "mime", "alias", "dir"]
    if opts.setenv or opts.passenv:
        mods.append("env")
    if opts.https_port:
        mods += ["ssl", "socache_shmcb"]
    if opts.document_root:
        mods.append("rewrite")
    if opts.auth_user_script:
        mods += ["authn_core", "authz_user",
                 "auth_basic" if opts.auth_type == "Basic" else "auth_digest"]
    out = [DOLLAR_DEFINE, "# Written by mod-wsgi-ext; edit the command line, not this file.",
           "ServerRoot %s" % q(root, "--server-root"),
           "ServerName %s" % q(server_name, "--host"),
           "Listen %s" % q("%s:%d" % (listen, opts.port), "--host"),
           "PidFile %s" % q(os.path.join(root, "httpd.pid"), "--server-root"),
           "DefaultRuntimeDir %s" % q(root, "--server-root"),
           "ErrorLog %s" % q(error_log, "--error-log"),
           "LogLevel %s" % opts.log_level,
           'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
           # serve's own "is Apache answering" probe stays out of the access log
           "CustomLog %s common \"expr=!(%%{REQUEST_METHOD} == 'OPTIONS' && "
           "%%{HTTP_USER_AGENT} == '%s')\"" % (q(access_log, "--access-log"), PROBE_AGENT),
           "TypesConfig /etc/mime.types", ""]
    out += ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m) for m in mods]
    if run_user:
        out += ["User %s" % q(run_user[0], "--user"), "Group %s" % q(run_user[1], "--group")]
    out += _mpm_lines(opts, daemon) + ["Timeout 60", "KeepAlive On"]
    if not daemon and opts.maximum_requests:
        out.append("MaxConnectionsPerChild %d" % opts.maximum_requests)
    if opts.https_port:
        out += ["Listen %s https" % q("%s:%d" % (listen, opts.https_port), "--host"),
                "SSLSessionCache %s" % q("shmcb:" + os.path.join(root, "ssl_scache(512000)"),
                                         "--server-root")]
    out += ["", load_module_line,
            "WSGIPythonHome %s" % q(sys.prefix, "the Python environment"),
            "WSGIPythonPath %s" % q(":".join(opts.python_path), "--python-path"),
            "WSGISocketPrefix %s" % q(os.path.join(root, "wsgi"), "--server-root"),
            "WSGIApplicationGroup %{GLOBAL}"]
    group = "%{GLOBAL}"
    if daemon:
        out += ["WSGIRestrictEmbedded On"] + daemon_lines(opts, *(run_user or (None, None)))
        group = GROUP_NAME
    out += ["WSGIImportScript %s process-group=%s application-group=%%{GLOBAL}"
            % (q(os.path.join(root, "startup.py"), "--server-root"), q(group, "group")), "",
            "<Directory />", "    AllowOverride None", "    Require all denied", "</Directory>",
            ""]
    for url, path in opts.url_alias:
        out += _alias(url, os.path.abspath(path))
    for key, value in opts.setenv:
        out.append("SetEnv %s %s" % (q(key, "--setenv"), q(value, "--setenv %s" % key)))
    for key in opts.passenv:
        out.append("PassEnv %s" % q(key, "--passenv"))
    if opts.application_type == "script":
        script = opts.entry
        out.append("<Directory %s>" % conf_dir_quote(os.path.dirname(script),
                                                      "the WSGI script's folder"))
        out += ["    Require all granted", "</Directory>"]
    else:
        script = os.path.join(root, "handler.wsgi")
        out += ["<Directory %s>" % conf_dir_quote(root, "--server-root"),
                '    <Files "handler.wsgi">', "        Require all granted", "    </Files>",
                "</Directory>"]
    alias_opts = ""
    if opts.callable_object != "application" and opts.application_type == "script":
        alias_opts = " callable-object=%s" % q(opts.callable_object, "--callable-object")
    if opts.document_root:
        out += _document_root(opts)
    out.append("WSGIScriptAlias %s %s%s" % (q(opts.mount_point, "--mount-point"),
                                            q(script, "the WSGI script path"), alias_opts))
    out += _access_control(opts)
    if opts.https_port:
        out += ["<VirtualHost %s>" % q("%s:%d" % (listen, opts.https_port), "--https-port"),
                "    ServerName %s" % q(server_name, "--host"),
                "    SSLEngine on",
                "    SSLCertificateFile %s" % q(opts.ssl_certificate_file,
                                                "--ssl-certificate-file"),
                "    SSLCertificateKeyFile %s" % q(opts.ssl_certificate_key_file,
                                                   "--ssl-certificate-key-file"),
                "</VirtualHost>"]
    for f in opts.include_file:
        out.append("Include %s" % conf_dir_quote(f, "--include-file"))
    return "\n".join(out) + "\n"


def _document_root(opts):
    """Static files from the document root win; every other URL goes on to the application.

    mod_rewrite's translate_name runs first: when the URL names a file in the document root it
    maps the request there and ends translation, so WSGIScriptAlias never sees it."""
    return ["DocumentRoot %s" % conf_quote(opts.document_root, "--document-root"),
            "<Directory %s>" % conf_dir_quote(opts.document_root, "--document-root"),
            "    Require all granted", "</Directory>",
            "RewriteEngine On",
            'RewriteCond "%{DOCUMENT_ROOT}%{REQUEST_URI}" -f',
            'RewriteRule "^/(.*)" "%{DOCUMENT_ROOT}/$1" [L]']


def _access_control(opts):
    q = conf_quote
    if not (opts.auth_user_script or opts.host_access_script or opts.phases):
        return []
    # <Location> reads * ? [ ] as wildcards, WSGIScriptAlias does not: with them the two would
    # cover different URLs, and the application would answer outside the access control
    out = ["<Location %s>" % conf_dir_quote(opts.mount_point, "--mount-point")]
    if opts.phases:
        out.append("    WSGIPhaseScript %s" % q(opts.phases, "--phases"))
    if opts.host_access_script:
        out.append("    WSGIAccessScript %s" % q(opts.host_access_script, "--host-access-script"))
    if opts.auth_user_script:
        out += ["    AuthType %s" % opts.auth_type,
                '    AuthName "%s"' % "mod_wsgi_ext",
                "    Auth%sProvider wsgi" % opts.auth_type,
                "    WSGIAuthUserScript %s" % q(opts.auth_user_script, "--auth-user-script"),
                "    Require valid-user"]
    out.append("</Location>")
    return out


def apachectl(apache, conf, startup_log):
    extra = " -E %s" % sh_quote(startup_log) if startup_log else ""
    return _template("apachectl").substitute(apache=sh_quote(apache), conf=sh_quote(conf),
                                             extra=extra)

"""The directive registry: every Apache directive of mod_wsgi_ext, declared once.

Each :class:`Directive` names the directive, where it may appear, what its arguments are, how they
are validated, its default and its documentation.  Two things are generated from this list and
nothing else:

* the C command table (``mod_wsgi_ext/_build/gen_directives.py`` writes ``command_rec`` entries and a
  table of validation specs that one generic C handler interprets at configuration time, so that a bad
  value fails ``apache2 -t`` with the file and line), and
* ``docs/directives.md`` (``python -m mod_wsgi_ext.config.docs``); a test fails when it is stale.

This module is imported by the build (before the package exists), so it imports nothing but the
standard library.
"""

from dataclasses import dataclass, field
from typing import Optional, Tuple

# Where a directive may appear.  "server" means the main server only (not a virtual host).
SERVER, VHOST, DIRECTORY, HTACCESS_FILEINFO, HTACCESS_AUTHCONFIG = (
    "server", "vhost", "directory", "htaccess:FileInfo", "htaccess:AuthConfig")

# Storage scope in C: per-server config or per-directory config.
SCOPE_SERVER, SCOPE_DIR = "server", "dir"

# Argument kinds understood by the generic C handler (see _csrc/config.c).
FLAG = "flag"            # On|Off -> int
ENUM = "enum"            # one of choices -> index
INT = "int"              # integer in [imin, imax]
STR = "str"              # one string
GROUP = "group"          # an application group: %{GLOBAL} %{SERVER} %{HOST} %{RESOURCE} %{ENV:x}
#                          or a name
PGROUP = "pgroup"        # a process group: %{GLOBAL} %{ENV:x} or a name
DIRPATH = "dirpath"      # an existing directory
PATHLIST = "pathlist"    # one or more directories, ':' separated or separate arguments
HEADERS = "headers"      # one or more header names
NETS = "nets"            # one or more IP addresses or CIDR networks
ALIAS = "alias"          # URL PATH [options]
ALIASMATCH = "aliasmatch"  # REGEX PATH [options]
HANDLER = "handler"      # NAME PATH [options]
IMPORT = "import"        # PATH process-group=G application-group=A
SCRIPT = "script"        # PATH [application-group=A] -> a per-directory script slot (auth scripts)
PHASE = "phase"          # PATH|None [application-group=A] [object=NAME] -> the phase script slot
OPTION = "option"        # NAME VALUE -> the per-directory WSGIPhaseOption table
COMPAT = "compat"        # accepted for mod_wsgi compatibility, no effect (warned at start-up)
DAEMON = "daemon"        # WSGIDaemonProcess NAME [option=value ...]
# kinds of WSGIDaemonProcess option values (beside FLAG, STR, DIRPATH, PATHLIST, COMPAT)
COUNT = "count"          # an integer >= 1
SECONDS = "seconds"      # an integer >= 0 (0: off)
OCTAL = "octal"          # an octal number (umask)
USER = "user"            # a user name or #uid that exists
UNIXGROUP = "unixgroup"  # a group name or #gid that exists

# key=value options taken by the alias-like directives, with the kind of each value.
ALIAS_OPTIONS = (("process-group", PGROUP), ("application-group", GROUP),
                 ("callable-object", STR), ("pass-authorization", FLAG))
HANDLER_OPTIONS = (("process-group", PGROUP), ("application-group", GROUP),
                   ("pass-authorization", FLAG))
IMPORT_OPTIONS = (("process-group", PGROUP), ("application-group", GROUP))
SCRIPT_OPTIONS = (("application-group", GROUP),)
PHASE_OPTIONS = (("application-group", GROUP), ("object", STR), ("process-group", PGROUP))

# WSGIDaemonProcess options: every one mod_wsgi 6 accepts.  Options of kind COMPAT are accepted
# with a warning at start-up ("accepted for mod_wsgi compatibility; no effect").
DAEMON_OPTIONS = (
    ("processes", COUNT), ("threads", COUNT), ("user", USER), ("group", UNIXGROUP),
    ("home", DIRPATH), ("python-home", DIRPATH), ("python-path", PATHLIST),
    ("display-name", STR), ("maximum-requests", SECONDS), ("request-timeout", SECONDS),
    ("inactivity-timeout", SECONDS), ("graceful-timeout", SECONDS),
    ("shutdown-timeout", SECONDS), ("startup-timeout", SECONDS), ("queue-timeout", SECONDS),
    ("socket-timeout", SECONDS), ("connect-timeout", SECONDS), ("deadlock-timeout", SECONDS),
    ("restart-interval", SECONDS), ("listen-backlog", COUNT), ("umask", OCTAL), ("lang", STR),
    ("locale", STR), ("server-metrics", FLAG),
    ("supplementary-groups", COMPAT), ("chroot", COMPAT), ("python-eggs", COMPAT),
    ("switch-interval", COMPAT), ("stack-size", COMPAT), ("interrupt-timeout", COMPAT),
    ("eviction-timeout", COMPAT), ("send-buffer-size", COMPAT),
    ("receive-buffer-size", COMPAT), ("header-buffer-size", COMPAT),
    ("response-buffer-size", COMPAT), ("response-socket-timeout", COMPAT),
    ("response-flush-delay", COMPAT), ("socket-user", COMPAT), ("script-user", COMPAT),
    ("script-group", COMPAT), ("cpu-time-limit", COMPAT), ("cpu-priority", COMPAT),
    ("memory-limit", COMPAT), ("virtual-memory-limit", COMPAT),
)

# What each option means (docs/directives.md); the value's form comes from its kind.
OPTION_DOCS = {
    "process-group": "where the script runs: %{GLOBAL} (the Apache children, embedded mode), "
                     "%{ENV:variable}, or the name of a WSGIDaemonProcess group. Overrides "
                     "WSGIProcessGroup.",
    "application-group": "the interpreter the script runs in (as WSGIApplicationGroup, which it "
                         "overrides).",
    "callable-object": "name of the WSGI application object in the script (overrides "
                       "WSGICallableObject).",
    "object": "name of the wsgi_phases.Phases object in a WSGIPhaseScript (default phases).",
    "pass-authorization": "On passes the Authorization header as HTTP_AUTHORIZATION (overrides "
                          "WSGIPassAuthorization).",
    "processes": "number of daemon processes (default 1; more than one makes "
                 "wsgi.multiprocess true).",
    "threads": "worker threads per process (default 15).",
    "user": "user the processes run as when Apache starts as root (default: Apache's User).",
    "group": "group the processes run as when Apache starts as root (default: Apache's Group).",
    "home": "working directory (default: the home directory of user).",
    "python-home": "virtual environment or Python prefix whose bin/python3 runs the group.",
    "python-path": "directories added to sys.path (site.addsitedir), ':' separated.",
    "display-name": "process name shown by ps -e and top (15 characters at most).",
    "maximum-requests": "replace a process after this many requests (0: never); requests in "
                        "flight finish and none fail.",
    "request-timeout": "a request running longer gets a 504 (or a cut connection once its "
                       "response started), its thread's stack is logged and the process is "
                       "replaced.",
    "inactivity-timeout": "replace a process that served no request for this long.",
    "graceful-timeout": "how long a retiring or stopping process waits for requests in flight "
                        "(default 15).",
    "shutdown-timeout": "how long the Apache parent waits for a process at stop before killing "
                        "it, and the time shutdown callbacks get (default 5).",
    "startup-timeout": "a process that has not finished preloading after this long is "
                       "restarted.",
    "queue-timeout": "a request that waited longer than this (since Apache received it) for a "
                     "daemon thread gets a 504 instead of running.",
    "socket-timeout": "timeout of reads and writes between Apache and the daemon (default: "
                      "Apache's Timeout).",
    "connect-timeout": "how long an Apache child tries to connect to the group (default 15).",
    "deadlock-timeout": "a process whose Python threads cannot run for this long (a GIL "
                        "deadlock) dumps its stacks and is restarted (default 300).",
    "restart-interval": "replace each process after it has run this long.",
    "listen-backlog": "backlog of the group's listening socket (default 100).",
    "umask": "the processes' umask, octal (e.g. 0007).",
    "lang": "LANG for the processes.",
    "locale": "LC_ALL for the processes.",
    "server-metrics": "accepted (mod_wsgi's metrics API is not provided).",
}

# The form of a value of each kind, in words (docs and error messages).
KIND_VALUES = {
    FLAG: "On or Off",
    GROUP: "%{GLOBAL}, %{SERVER}, %{HOST}, %{RESOURCE}, %{ENV:variable} or a name",
    PGROUP: "%{GLOBAL}, %{ENV:variable} or a name",
    STR: "a name",
    COUNT: "an integer, 1 or more",
    SECONDS: "an integer, 0 or more",
    OCTAL: "an octal number",
    USER: "a user name or #uid",
    UNIXGROUP: "a group name or #gid",
    DIRPATH: "an existing directory",
    PATHLIST: "directories, ':' separated",
    COMPAT: "accepted for mod_wsgi compatibility; no effect (warned at start-up)",
}


@dataclass(frozen=True)
class Directive:
    name: str
    kind: str
    contexts: Tuple[str, ...]
    doc: str
    syntax: str
    slot: Optional[str] = None          # C field name (scope decides which struct)
    scope: str = SCOPE_DIR
    default: str = "none"
    choices: Tuple[str, ...] = ()
    imin: int = 0
    imax: int = 0
    options: Tuple[Tuple[str, str], ...] = field(default=())
    required_options: Tuple[str, ...] = ()


D = Directive
ALL_DIR = (SERVER, VHOST, DIRECTORY)

DIRECTIVES = (
    D("WSGIScriptAlias", ALIAS, (SERVER, VHOST), scope=SCOPE_SERVER, options=ALIAS_OPTIONS,
      syntax="WSGIScriptAlias URL-path file-path|directory-path [option=value ...]",
      doc="Mounts the WSGI script at URL-path: requests for URL-path and below run the script's "
          "application with SCRIPT_NAME set to URL-path and PATH_INFO to the rest. When the target is "
          "a directory, the first path segment after URL-path names the script in it. Options: "
          "process-group, application-group, callable-object, pass-authorization. When both groups "
          "are given the script is preloaded when the process starts."),
    D("WSGIScriptAliasMatch", ALIASMATCH, (SERVER, VHOST), scope=SCOPE_SERVER,
      options=ALIAS_OPTIONS,
      syntax="WSGIScriptAliasMatch regex file-path [option=value ...]",
      doc="Regular-expression form of WSGIScriptAlias: the part of the URL the regex matches becomes "
          "SCRIPT_NAME, and $1..$9 in file-path are replaced by the captured groups. Same options "
          "as WSGIScriptAlias."),
    D("WSGIHandlerScript", HANDLER, ALL_DIR, options=HANDLER_OPTIONS,
      syntax="WSGIHandlerScript name file-path [option=value ...]",
      doc="Defines a handler called name that SetHandler or AddHandler can select: the requested "
          "file is then served by the callable handle_request in file-path (as in mod_wsgi, the "
          "name is fixed and WSGICallableObject does not apply), with the requested file's path in "
          "SCRIPT_FILENAME. Options: process-group, application-group, pass-authorization."),
    D("WSGICallableObject", STR, ALL_DIR + (HTACCESS_FILEINFO,), slot="callable_object",
      default="application", syntax="WSGICallableObject name|%{ENV:variable}",
      doc="Name of the WSGI application object in the script; %{ENV:variable} takes it from a "
          "request environment variable (application when unset)."),
    D("WSGIApplicationGroup", GROUP, ALL_DIR, slot="application_group", default="%{RESOURCE}",
      syntax="WSGIApplicationGroup %{GLOBAL}|%{SERVER}|%{HOST}|%{RESOURCE}|%{ENV:variable}|name",
      doc="The interpreter the application runs in. %{GLOBAL} is the main interpreter (needed by "
          "C extensions that do not work in sub-interpreters); %{SERVER} one interpreter per virtual "
          "host and port; %{RESOURCE} one per virtual host, port and SCRIPT_NAME; %{HOST} one per "
          "Host header name and port; %{ENV:variable} takes the name from a request note or "
          "environment variable (SetEnv, SetEnvIf, RewriteRule [E=...]), falling back to the "
          "literal text when the variable is unset; any other value names an interpreter. "
          "Applications in one group share their modules and globals; different groups are "
          "isolated from each other."),
    D("WSGIProcessGroup", PGROUP, ALL_DIR, slot="process_group", default="%{GLOBAL}",
      syntax="WSGIProcessGroup %{GLOBAL}|%{ENV:variable}|name",
      doc="Where the application runs: %{GLOBAL} in the Apache child processes (embedded mode), or "
          "in the named daemon process group. A name that no WSGIDaemonProcess defines fails "
          "apache2 -t; a %{ENV:variable} naming no group is a 500 whose log line names it."),
    D("WSGIDaemonProcess", DAEMON, (SERVER, VHOST), scope=SCOPE_SERVER, options=DAEMON_OPTIONS,
      syntax="WSGIDaemonProcess name [option=value ...]",
      doc="Defines a daemon process group: processes started and supervised by the Apache parent "
          "that run the applications WSGIProcessGroup or process-group= assign to it, behind a "
          "UNIX socket (see docs/daemon-mode.md). Group names are unique across the server. "
          "Unknown options and bad values fail apache2 -t with the file and line."),
    D("WSGIImportScript", IMPORT, (SERVER, VHOST), scope=SCOPE_SERVER, options=IMPORT_OPTIONS,
      required_options=("process-group", "application-group"),
      syntax="WSGIImportScript file-path process-group=name application-group=name",
      doc="Imports file-path into the named interpreter when the process starts, before it serves "
          "its first request (to preload an application). process-group %{GLOBAL} means the Apache "
          "child processes. application-group is a name, %{GLOBAL} or %{SERVER}; the groups that "
          "depend on a request (%{RESOURCE}, %{HOST}, %{ENV:variable}) cannot be preloaded, and a "
          "warning at start-up says so."),
    D("WSGIScriptReloading", FLAG, ALL_DIR + (HTACCESS_FILEINFO,), slot="script_reloading",
      default="On", syntax="WSGIScriptReloading On|Off",
      doc="When On, a script whose modification time changed is imported again before the next "
          "request it serves (embedded mode)."),
    D("WSGIPassAuthorization", FLAG, ALL_DIR + (HTACCESS_FILEINFO,), slot="pass_authorization",
      default="Off", syntax="WSGIPassAuthorization On|Off",
      doc="When On, the Authorization request header is passed to the application as "
          "HTTP_AUTHORIZATION."),
    D("WSGIChunkedRequest", FLAG, ALL_DIR + (HTACCESS_FILEINFO,), slot="chunked_request",
      default="Off", syntax="WSGIChunkedRequest On|Off",
      doc="When Off, a request with a chunked body is refused with 411 Length Required; when On, "
          "the application reads the de-chunked body from wsgi.input until it is exhausted."),
    D("WSGIMapHEADToGET", ENUM, ALL_DIR + (HTACCESS_FILEINFO,), slot="map_head_to_get",
      choices=("Off", "On", "Auto"), default="Auto", syntax="WSGIMapHEADToGET On|Off|Auto",
      doc="Whether a HEAD request reaches the application as GET. Auto does so only when an output "
          "filter that may need the body (such as mod_deflate) is active for the request."),
    D("WSGIErrorOverride", FLAG, ALL_DIR + (HTACCESS_FILEINFO,), slot="error_override",
      default="Off", syntax="WSGIErrorOverride On|Off",
      doc="When On, an error response (status 400 and above) from an application running in a "
          "daemon process group is replaced by Apache's own error document (ErrorDocument). As "
          "in mod_wsgi, it has no effect in embedded mode, where the application's own error "
          "response is sent."),
    D("WSGIRestrictStdin", FLAG, (SERVER,), scope=SCOPE_SERVER, slot="restrict_stdin",
      default="Off", syntax="WSGIRestrictStdin On|Off",
      doc="When On, sys.stdin in every interpreter is a mod_wsgi.Restricted object: any use "
          "raises OSError (portable WSGI code reads wsgi.input, never sys.stdin)."),
    D("WSGIRestrictStdout", FLAG, (SERVER,), scope=SCOPE_SERVER, slot="restrict_stdout",
      default="Off", syntax="WSGIRestrictStdout On|Off",
      doc="When On, sys.stdout in every interpreter is a mod_wsgi.Restricted object: print() "
          "and any other use raise OSError. Off (the default): what is printed goes to the "
          "error log."),
    D("WSGIVerboseDebugging", FLAG, (SERVER,), scope=SCOPE_SERVER, slot="verbose_debugging",
      default="Off", syntax="WSGIVerboseDebugging On|Off",
      doc="When On, every request logs at info level where it runs: the script, the "
          "interpreter group and the callable."),
    D("WSGIServerMetrics", FLAG, (SERVER,), scope=SCOPE_SERVER, slot="server_metrics",
      default="Off", syntax="WSGIServerMetrics On|Off",
      doc="When On, mod_wsgi.server_metrics() returns Apache's scoreboard (processes and their "
          "workers); Off, it returns None."),
    D("WSGIRestrictEmbedded", FLAG, (SERVER,), scope=SCOPE_SERVER, slot="restrict_embedded",
      default="Off", syntax="WSGIRestrictEmbedded On|Off",
      doc="When On, no application may run in embedded mode: such a request gets a 500 and a log "
          "line saying why. The Apache children then start Python only when the configuration "
          "names an auth, access, dispatch or phase script, which runs there (as mod_wsgi)."),
    D("WSGITrustedProxyHeaders", HEADERS, ALL_DIR + (HTACCESS_FILEINFO,),
      slot="trusted_proxy_headers",
      syntax="WSGITrustedProxyHeaders header ...",
      doc="Proxy headers (X-Forwarded-For, X-Client-IP, X-Real-IP, X-Forwarded-Host, X-Host, "
          "X-Forwarded-Server, X-Forwarded-Port, X-Forwarded-Proto, X-Forwarded-Scheme, X-Scheme, "
          "X-Forwarded-HTTPS, X-Forwarded-SSL, X-HTTPS, X-Script-Name, X-Forwarded-Script-Name) "
          "that rewrite REMOTE_ADDR, HTTP_HOST, SERVER_NAME, SERVER_PORT, wsgi.url_scheme or "
          "SCRIPT_NAME when the client is a trusted proxy. When the client is not trusted, these "
          "headers are removed from the environ."),
    D("WSGITrustedProxies", NETS, ALL_DIR + (HTACCESS_FILEINFO,), slot="trusted_proxies",
      syntax="WSGITrustedProxies ip|cidr ...",
      doc="Addresses of the proxies whose WSGITrustedProxyHeaders are believed. Without this "
          "directive every client is trusted."),
    D("WSGIDispatchScript", SCRIPT, ALL_DIR, slot="dispatch_script", options=SCRIPT_OPTIONS,
      default="none", syntax="WSGIDispatchScript file-path [application-group=name]",
      doc="Python script consulted for each request before it is dispatched: its functions "
          "process_group(environ), application_group(environ) and callable_object(environ), "
          "each optional, return the process group, application group (%{GLOBAL} and the other "
          "forms allowed) or callable name to use, or None to keep the configured one. The "
          "script runs in the main interpreter unless application-group= names another; a "
          "failure is logged and the request answered with a 500."),
    D("WSGIAuthUserScript", SCRIPT, (DIRECTORY, HTACCESS_AUTHCONFIG), slot="auth_user_script",
      options=SCRIPT_OPTIONS, default="none",
      syntax="WSGIAuthUserScript file-path [application-group=name]",
      doc="Python script whose check_password(environ, user, password) and get_realm_hash(environ, "
          "user, realm) serve the authentication provider named wsgi (AuthBasicProvider wsgi, "
          "AuthFormProvider wsgi, AuthDigestProvider wsgi). check_password returns None (unknown "
          "user), True, False, or a non-empty str that grants access under that user name; "
          "get_realm_hash returns None or the hex MD5 of user:realm:password as str or bytes. The "
          "script runs in the Apache child processes, in the interpreter named by "
          "application-group (default %{GLOBAL}), see docs/auth.md."),
    D("WSGIAuthGroupScript", SCRIPT, (DIRECTORY, HTACCESS_AUTHCONFIG), slot="auth_group_script",
      options=SCRIPT_OPTIONS, default="none",
      syntax="WSGIAuthGroupScript file-path [application-group=name]",
      doc="Python script whose groups_for_user(environ, user) returns an iterable of the user's "
          "group names (str or bytes), for Require wsgi-group name ... (names compare without "
          "regard to ASCII case). Runs like WSGIAuthUserScript."),
    D("WSGIAccessScript", SCRIPT, (DIRECTORY, HTACCESS_AUTHCONFIG), slot="access_script",
      options=SCRIPT_OPTIONS, default="none",
      syntax="WSGIAccessScript file-path [application-group=name]",
      doc="Python script whose allow_access(environ, host) decides in the access phase: True "
          "allows, False refuses with 403, None leaves the decision to the rest of the "
          "configuration. host is the client's host name when known, else its IP address. Runs "
          "like WSGIAuthUserScript."),
    D("WSGIPhaseScript", PHASE, ALL_DIR + (HTACCESS_AUTHCONFIG,), slot="phase_script",
      options=PHASE_OPTIONS, default="none",
      syntax="WSGIPhaseScript file-path|None [application-group=name] [object=name]",
      doc="Python script holding a wsgi_phases.Phases object (named by object=, default phases) "
          "whose handlers run in Apache's access, authentication, authorization and fixup phases "
          "for requests in this scope, in the Apache child, in the interpreter named by "
          "application-group (default %{GLOBAL}). A more specific section's WSGIPhaseScript "
          "replaces the outer one; None switches phases off. process-group= (running the handlers "
          "in a daemon process) is refused: it is a later step. See docs/phases.md."),
    D("WSGIPhaseOption", OPTION, ALL_DIR + (HTACCESS_AUTHCONFIG,),
      syntax="WSGIPhaseOption name value",
      doc="A value phase handlers read as request.options[name]. Inner sections override outer "
          "ones name by name; an empty value removes the name."),
    D("WSGIPythonHome", DIRPATH, (SERVER,), scope=SCOPE_SERVER, slot="python_home",
      default="the Python that built the module", syntax="WSGIPythonHome directory",
      doc="Prefix of the Python installation or virtual environment to embed. A virtual "
          "environment's prefix selects that environment's packages."),
    D("WSGIPythonPath", PATHLIST, (SERVER,), scope=SCOPE_SERVER, slot="python_path",
      syntax="WSGIPythonPath directory[:directory...] ...",
      doc="Directories added to sys.path (with site.addsitedir, so .pth files work) in every "
          "embedded interpreter."),
    D("WSGIPythonOptimize", INT, (SERVER,), scope=SCOPE_SERVER, slot="python_optimize",
      imin=0, imax=2, default="0", syntax="WSGIPythonOptimize 0|1|2",
      doc="Python's optimisation level, as the -O option sets it."),
    D("WSGISocketPrefix", STR, (SERVER,), scope=SCOPE_SERVER, slot="socket_prefix",
      default="logs/wsgi", syntax="WSGISocketPrefix prefix",
      doc="Path prefix of the UNIX sockets between Apache and daemon processes."),
)

# mod_wsgi 6 directives accepted so that existing configuration starts; each logs one warning at
# start-up naming it.  They move up into DIRECTIVES as they gain an effect.
COMPAT_DIRECTIVES = (
    ("WSGIPythonEggs", (SERVER,)),
    ("WSGIPythonWarnings", (SERVER,)),
    ("WSGIPythonHashSeed", (SERVER,)),
    ("WSGISocketRotation", (SERVER,)),
    ("WSGIAcceptMutex", (SERVER,)),
    ("WSGIDestroyInterpreter", (SERVER,)),
    ("WSGIRestrictSignal", (SERVER,)),
    ("WSGICaseSensitivity", (SERVER,)),
    ("WSGIRestrictProcess", ALL_DIR),
    ("WSGIEnableSendfile", ALL_DIR + (HTACCESS_FILEINFO,)),
    ("WSGIIgnoreActivity", ALL_DIR + (HTACCESS_FILEINFO,)),
    ("WSGIDontWriteBytecode", (SERVER,)),
    ("WSGISwitchInterval", (SERVER,)),
    ("WSGIPerInterpreterGIL", (SERVER,)),
    ("WSGIFreeThreading", (SERVER,)),
    ("WSGIPassApacheRequest", ALL_DIR),
    ("WSGIGroupAuthoritative", (DIRECTORY, HTACCESS_AUTHCONFIG)),
    ("WSGITelemetryService", (SERVER,)),
    ("WSGISlowRequests", (SERVER,)),
    ("WSGITelemetryOptions", (SERVER,)),
    # a section: its contents are ignored as a whole
    ("<WSGIInterpreterOptions", (SERVER,)),
)

for _name, _ctx in COMPAT_DIRECTIVES:
    DIRECTIVES += (D(_name, COMPAT, _ctx,
                     syntax=(_name + " ...> ... </%s>" % _name[1:]) if _name[0] == "<"
                     else _name + " ...",
                     doc="Accepted for mod_wsgi compatibility; no effect yet (a warning naming it is "
                         "logged at start-up)."),)


def context_words(contexts):
    """The contexts in the words of Apache's documentation ("server config, virtual host, ...")."""
    words = []
    if SERVER in contexts:
        words.append("server config")
    if VHOST in contexts:
        words.append("virtual host")
    if DIRECTORY in contexts:
        words.append("directory")
    if HTACCESS_FILEINFO in contexts or HTACCESS_AUTHCONFIG in contexts:
        words.append(".htaccess")
    return ", ".join(words)


def override_words(contexts):
    """The AllowOverride class a .htaccess file needs for the directive ("FileInfo"), or ""."""
    return " or ".join(word for ctx, word in ((HTACCESS_FILEINFO, "FileInfo"),
                                             (HTACCESS_AUTHCONFIG, "AuthConfig"))
                       if ctx in contexts)


def dir_slots():
    return [d for d in DIRECTIVES if d.scope == SCOPE_DIR and d.slot]


def server_slots():
    return [d for d in DIRECTIVES if d.scope == SCOPE_SERVER and d.slot]

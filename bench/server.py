"""Apache servers for the benchmark: one config per case, started and stopped by pid.

Like tests/functional/server.py, but tuned for measuring:
``LogLevel warn``, no access log, unlimited keep-alive requests, a fixed number of processes and
threads that is the same for every case of an MPM, and a server that loads no WSGI module at all
for the static-file and C-auth cases.  Each server gets a fresh world-readable root in /tmp (the
children run as www-data) holding bench/apps/ and the data files of bench/scenarios.py.  It also
reports the server's CPU time and its children's peak RSS.
"""

import glob
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"
BASE_MODULES = ["authz_core", "authz_host", "authn_core", "mime", "alias", "dir", "env",
                "headers", "setenvif"]

BODY = b"hello world\n"
HELLO_APP = '''def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello world\\n"]
'''

# Same worker counts for every case of an MPM.  With wrk's default 8 connections: prefork needs a
# child per keep-alive connection; event needs idle threads in a child even when every connection
# landed on it, or it closes idle keep-alive connections (wrk counts read errors; seen with 8).
PREFORK_PROCESSES = 8
EVENT_PROCESSES, EVENT_THREADS = 2, 16


DAEMON_PROCESSES, DAEMON_THREADS = 2, 16


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mod_wsgi_load(python):
    """LoadModule and WSGIPythonHome lines for mod_wsgi 6 installed in the benchmark's venv."""
    spec = importlib.util.find_spec("mod_wsgi")
    if spec is None:
        raise SystemExit("mod_wsgi is not installed in %s (pip install mod_wsgi)" % python)
    pkg = list(spec.submodule_search_locations)[0]
    so = sorted(glob.glob(os.path.join(pkg, "server", "mod_wsgi-py*.so")))
    if not so:
        raise SystemExit("mod_wsgi's Apache module was not found under %s" % pkg)
    prefix = os.path.dirname(os.path.dirname(python))
    return 'LoadModule wsgi_module "%s"\nWSGIPythonHome "%s"' % (so[0], prefix)


def mod_wsgi_ext_load(python):
    """LoadModule line for mod_wsgi_ext as installed in the venv of ``python``."""
    out = subprocess.check_output(
        [python, "-P", "-c", "import mod_wsgi_ext.cli as c; print(c.load_module_line())"],
        text=True, cwd="/")
    return out.strip()


class Server:
    """One Apache: ``kind`` is "static"/"c" (no WSGI module), "mod_wsgi" or "ours"; ``group`` the
    application group.  ``conf``: the site's configuration lines (``{root}``, ``{group}``
    substituted; default: hello world at /hello, or hello.txt for a static server), ``path`` the
    URL to measure, ``modules`` extra Apache modules to load, ``extra`` more configuration lines
    (``{root}`` substituted; bench/profile.py's --phases and --auth)."""

    def __init__(self, name, kind, mpm, group="%{GLOBAL}", load_lines="", conf=None, path=None,
                 modules=(), extra=""):
        import scenarios
        self.name = name
        self.kind = kind
        self.mpm = mpm
        self.modules = list(modules)
        self.proc = None
        self.root = tempfile.mkdtemp(prefix="wx-bench-")
        self.port = free_port()
        scenarios.write_files(self.root)
        with open(os.path.join(self.root, "hello.wsgi"), "w") as f:
            f.write(HELLO_APP)
        for dirpath, _dirs, files in os.walk(self.root):
            os.chmod(dirpath, 0o755)
            for fn in files:
                os.chmod(os.path.join(dirpath, fn), 0o644)
        if conf is None:
            static = kind in ("static", "c")
            path = "/hello.txt" if static else "/hello"
            if static:
                conf = ""
            elif group == "DAEMON":
                # daemon mode, the same for mod_wsgi and mod_wsgi_ext (pitfall 23: mod_wsgi needs
                # WSGISocketPrefix in a private server root, set below)
                conf = ("WSGIDaemonProcess hello processes=%d threads=%d\n"
                        "WSGIScriptAlias /hello {root}/hello.wsgi process-group=hello "
                        "application-group=%%{GLOBAL}\n" % (DAEMON_PROCESSES, DAEMON_THREADS))
            else:
                conf = "WSGIScriptAlias /hello {root}/hello.wsgi\nWSGIApplicationGroup {group}\n"
        self.path = path
        app = conf.replace("{root}", self.root).replace("{group}", group or "%{GLOBAL}")
        if kind in ("mod_wsgi", "ours"):
            app = "%s\nWSGISocketPrefix %s/wsgi\n%s" % (load_lines, self.root, app)
        self.conf = os.path.join(self.root, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(self._config(app + extra.replace("{root}", self.root)))

    def _config(self, app):
        mods = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                         for m in BASE_MODULES + [m for m in self.modules if m not in BASE_MODULES])
        if self.mpm == "prefork":
            n = PREFORK_PROCESSES
            mpm_conf = ("StartServers %d\nServerLimit %d\nMinSpareServers 1\nMaxSpareServers %d\n"
                        "MaxRequestWorkers %d\n" % (n, n, n, n))
        else:
            p, t = EVENT_PROCESSES, EVENT_THREADS
            mpm_conf = ("StartServers %d\nServerLimit %d\nThreadLimit %d\nThreadsPerChild %d\n"
                        "MaxRequestWorkers %d\nMinSpareThreads 1\nMaxSpareThreads %d\n"
                        % (p, p, t, t, p * t, p * t))
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        return (
            "ServerRoot {root}\nServerName localhost\nListen 127.0.0.1:{port}\n"
            "PidFile {root}/httpd.pid\nDefaultRuntimeDir {root}\n"
            "ErrorLog {root}/error.log\nLogLevel warn\n"
            "LoadModule mpm_{mpm}_module {moddir}/mod_mpm_{mpm}.so\n{mods}\n{user}"
            "TypesConfig /etc/mime.types\n{mpm_conf}"
            "KeepAlive On\nMaxKeepAliveRequests 0\nKeepAliveTimeout 5\nTimeout 20\n"
            "MaxConnectionsPerChild 0\nGracefulShutdownTimeout 3\n"
            "DocumentRoot {root}/htdocs\n{app}"
        ).format(root=self.root, port=self.port, mpm=self.mpm, moddir=MODDIR, mods=mods,
                 user=user, mpm_conf=mpm_conf, app=app)

    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, self.path)

    def start(self, timeout=20, wrapper=(), single=False):
        """Start apache2 (under ``wrapper``, e.g. valgrind; with ``single``, as ``-X``)."""
        self.out = open(os.path.join(self.root, "stdout.log"), "w")
        cmd = list(wrapper) + [APACHE, "-f", self.conf] + (["-X"] if single else ["-DFOREGROUND"])
        # own session: a prefork parent signals its whole process group on shutdown, and Ctrl-C
        # in the terminal must reach us (we then stop the server by pid), not Apache directly
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s: apache2 exited with %s:\n%s"
                                   % (self.name, self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("%s: apache2 did not listen within %ss:\n%s"
                           % (self.name, timeout, self.log()))

    def cpu_seconds(self):
        """CPU time (user + system) used so far by this Apache: parent, children, reaped children.

        Less sensitive to other load on the machine than req/s: divided by the requests of a run it
        gives the server's CPU cost per request."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        parent = self.proc.pid
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry), int(fields[1])
            if pid == parent:
                total += sum(int(x) for x in fields[11:15])   # utime stime cutime cstime
            elif ppid == parent:
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def children(self):
        """The pids of the server's child processes."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(entry))
        return pids

    def peak_rss_kb(self):
        """The largest peak resident set size (VmHWM) of the server's children, in KiB: what one
        serving process needed at most so far (with prefork: per connection served at once)."""
        peak = 0
        for pid in self.children():
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
        return peak

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.out.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        text = ""
        for fn in ("stdout.log", "error.log"):
            try:
                with open(os.path.join(self.root, fn), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

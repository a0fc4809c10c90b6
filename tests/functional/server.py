"""A real Apache httpd for functional tests.

``Apache(conf_body, mpm=...)`` writes a server root in a fresh world-readable temporary directory
(the Apache children may run as www-data), a config that loads the module built from this tree
(or, with ``module="mod_wsgi"``, mod_wsgi 6 from PyPI for differential tests), starts
``apache2 -f CONF -DFOREGROUND`` in its own session on a free loopback port, and stops it by pid.
``{root}`` and ``{port}`` in the config body are substituted.  Test applications are copied from
``tests/functional/apps`` into ``{root}/apps``.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"

BASE_MODULES = ["authz_core", "authz_host", "authn_core", "mime", "alias", "dir", "env",
                "headers", "setenvif"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def module_line(module):
    if module == "mod_wsgi":
        out = subprocess.check_output([os.path.join(os.path.dirname(sys.executable),
                                                    "mod_wsgi-express"), "module-config"],
                                      text=True)
        return "\n".join(line for line in out.splitlines() if line.startswith("LoadModule"))
    import mod_wsgi_ext.cli
    return mod_wsgi_ext.cli.load_module_line()


def run_user():
    if os.geteuid() != 0:
        return ""
    return "User www-data\nGroup www-data\n"


class Apache:
    live = []     # servers of the running test, for the error-log report

    def __init__(self, conf_body="", mpm="event", module="mod_wsgi_ext", modules=(),
                 threads=None, processes=None, log_level="info"):
        self.root = tempfile.mkdtemp(prefix="wx-httpd-")
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.mpm = mpm
        self.proc = None
        shutil.copytree(APPS, os.path.join(self.root, "apps"))
        for dirpath, dirnames, filenames in os.walk(self.root):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)
        mods = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                         for m in BASE_MODULES + list(modules))
        if mpm == "prefork":
            mpm_conf = ("StartServers %d\nMinSpareServers 1\nMaxSpareServers %d\n"
                        "MaxRequestWorkers %d\n" % (processes or 2, processes or 2,
                                                    max(processes or 2, 4)))
        else:
            mpm_conf = ("StartServers %d\nServerLimit %d\nThreadsPerChild %d\n"
                        "MaxRequestWorkers %d\nThreadLimit 64\nMinSpareThreads 1\nMaxSpareThreads %d\n"
                        % (processes or 1, processes or 2, threads or 8,
                           (processes or 2) * (threads or 8), (processes or 2) * (threads or 8)))
        self.conf = os.path.join(self.root, "httpd.conf")
        self.error_log = os.path.join(self.root, "error.log")
        body = conf_body.replace("{root}", self.root).replace("{port}", str(self.port))
        with open(self.conf, "w") as f:
            f.write(
                "ServerRoot %(root)s\nServerName localhost\nListen 127.0.0.1:%(port)d\n"
                "PidFile %(root)s/httpd.pid\nDefaultRuntimeDir %(root)s\n"
                "ErrorLog %(root)s/error.log\nLogLevel %(level)s\n"
                "LoadModule mpm_%(mpm)s_module %(moddir)s/mod_mpm_%(mpm)s.so\n%(mods)s\n"
                "%(user)sTypesConfig /etc/mime.types\n"
                "LogFormat \"%%h %%u \\\"%%r\\\" %%>s %%b\" common\n"
                "CustomLog %(root)s/access.log common\n%(mpm_conf)s"
                "Timeout 20\nKeepAliveTimeout 2\nGracefulShutdownTimeout 3\n"
                "%(load)s\nWSGISocketPrefix %(root)s/wsgi\n\n%(body)s\n"
                % dict(root=self.root, port=self.port, level=log_level, mpm=mpm,
                       moddir=MODDIR, mods=mods, user=run_user(), mpm_conf=mpm_conf,
                       load=module_line(module), body=body))

    # ------------------------------------------------------------------ control
    def configtest(self):
        p = subprocess.run([APACHE, "-f", self.conf, "-t"], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def start(self, expect_fail=False, timeout=15):
        self.stdout = open(os.path.join(self.root, "stdout.log"), "w")
        self.proc = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"],
                                     stdout=self.stdout, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        Apache.live.append(self)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                if expect_fail:
                    return self.proc.returncode
                raise RuntimeError("apache2 exited with %s:\n%s" % (self.proc.returncode,
                                                                   self.output()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if not expect_fail:
                        return self
            except OSError:
                time.sleep(0.05)
        if expect_fail:
            self.stop()
            raise AssertionError("apache2 started although it should have refused")
        raise RuntimeError("apache2 did not listen within %ss:\n%s" % (timeout, self.output()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in Apache.live:
            Apache.live.remove(self)

    def graceful(self):
        self.proc.send_signal(signal.SIGUSR1)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ inspection
    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def output(self):
        try:
            with open(os.path.join(self.root, "stdout.log"), errors="replace") as f:
                out = f.read()
        except OSError:
            out = ""
        return out + self.log()

    def wait_log(self, text, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    def raw(self, data, timeout=10):
        """Send raw bytes, read until the server closes; returns (bytes, closed_cleanly)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    return b"".join(chunks), False
                if not b:
                    return b"".join(chunks), True
                chunks.append(b)

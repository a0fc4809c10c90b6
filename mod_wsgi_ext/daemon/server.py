"""The daemon process: the program the Apache parent execs for each process of a daemon group.

``python -m mod_wsgi_ext.daemon --group NAME --listen-fd N --secret-fd M ...`` (see
``daemon/__main__.py`` for the options; the Apache parent, ``_csrc/daemon.c``, writes them).

Process model:

* The listening UNIX socket is created by the Apache parent and inherited (``--listen-fd``); all
  processes of a group accept on it.  The secret arrives on an inherited pipe (``--secret-fd``),
  read once and closed.  Connections from any uid but the Apache children's are refused
  (``SO_PEERCRED``), then the preamble's secret is checked.
* The main thread runs a selector over the listening socket and the idle connections.  A
  connection with a request waiting goes to a queue served by ``threads`` worker threads; after the
  response it goes back to the selector.  Threads are not tied to connections, so Apache children
  may pool as many connections as they like without starving the daemon (pitfall 19).
* Retiring (maximum-requests, restart-interval, inactivity-timeout, request-timeout, a changed
  script): stop accepting, answer ``G`` on idle connections and on any request not yet started
  (the child sends it again elsewhere), finish what runs (at most graceful-timeout), exit 0; the
  parent starts a replacement while new connections wait in the listen backlog.
* Draining (SIGTERM from the Apache parent on graceful restart or stop): keep serving the
  connections the old Apache children hold, exit when none is left (at most graceful-timeout).
* Exit status: 0 normal, 3 the application could not be preloaded, 4 startup-timeout.

Application groups: Python sub-interpreters need the C API, so a daemon serves every application
group in its one interpreter.  Each group gets its own module object for a script
(``runtime.loader.PER_GROUP``), so two groups running the same script do not share its globals;
modules the scripts import are shared.  For full isolation, use one daemon group per application
(what mod_wsgi recommends too).
"""

import faulthandler
import os
import queue
import select
import selectors
import signal
import socket
import sys
import threading
import time
import traceback

from mod_wsgi_ext.daemon import protocol as P
from mod_wsgi_ext.daemon.connection import Connection, Outcome, peer_uid, serve
from mod_wsgi_ext.runtime import lifecycle

APLOG_CRIT, APLOG_ERR, APLOG_WARNING, APLOG_NOTICE, APLOG_INFO = 2, 3, 4, 5, 6
LEVEL_NAMES = {2: "crit", 3: "error", 4: "warn", 5: "notice", 6: "info", 7: "debug"}
EXIT_OK, EXIT_LOAD_FAILED, EXIT_STARTUP_TIMEOUT = 0, 3, 4
# the Apache side never keeps an idle pooled connection longer than this (daemon.c agrees)
IDLE_CONNECTION_TIMEOUT = 60.0
LINGER_MS = 5          # how long a worker waits for the next request on the connection it served


class Daemon:
    def __init__(self, opts, listener, secret_digest):
        self.o = opts
        self.group = opts.group
        self.listener = listener
        self.secret_digest = secret_digest     # never the secret (protocol.py)
        self.multithread = opts.threads > 1
        self.multiprocess = opts.processes > 1
        self.queue_timeout = opts.queue_timeout
        self.retiring = False
        self.draining = False
        self.stop_at = None
        self.retire_reason = ""
        self.queue = queue.SimpleQueue()
        self.busy = {}            # thread ident -> [conn, start (monotonic), script, timed out]
        self.busy_lock = threading.Lock()
        self.pending = 0          # connections queued or being served (under busy_lock)
        self.idle = set()         # connections registered with the selector
        self.returned = []        # connections handed back by workers
        self.returned_lock = threading.Lock()
        self.requests = 0
        self.last_activity = time.monotonic()
        self.started = time.monotonic()
        self.armed_at = -1e9
        self.ppid = os.getppid()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.sel = selectors.DefaultSelector()
        self.scripts = threading.local()
        self.log_lock = threading.Lock()

    # ------------------------------------------------------------------ logging

    def log(self, level, text):
        """A line in Apache's error log (our stderr), naming the group and pid."""
        if level > self.o.log_level:
            return
        stamp = time.strftime("%a %b %d %H:%M:%S %Y")
        line = "[%s] [wsgi_ext:%s] [pid %d] mod_wsgi_ext (daemon %s): %s\n" % (
            stamp, LEVEL_NAMES.get(level, "error"), os.getpid(), self.group, text)
        with self.log_lock:
            try:
                os.write(2, line.encode("utf-8", "backslashreplace"))
            except OSError:
                pass

    def note_script(self, script):
        with self.busy_lock:
            entry = self.busy.get(threading.get_ident())
            if entry:
                entry[2] = script

    # ------------------------------------------------------------------ state changes

    def wake(self):
        try:
            os.write(self.wake_w, b"x")
        except OSError:
            pass

    def retire(self, reason):
        """Stop taking requests; exit once the running ones are done (graceful-timeout)."""
        if self.retiring:
            return
        self.retiring = True
        self.retire_reason = reason
        self.stop_at = time.monotonic() + self.o.graceful_timeout
        self.log(APLOG_INFO, "retiring (%s)" % reason)
        self.wake()

    def drain(self):
        if self.draining:
            return
        self.draining = True
        self.stop_at = time.monotonic() + self.o.graceful_timeout
        self.wake()

    # ------------------------------------------------------------------ workers

    def serve_one(self, ident, conn):
        entry = [conn, time.monotonic(), "", False]
        with self.busy_lock:
            self.busy[ident] = entry
        outcome = Outcome.CLOSE
        try:
            if not conn.authed:
                data = bytearray(P.PREAMBLE_LEN)
                try:
                    conn.reader.read_exact_into(data)
                    P.check_preamble(data, self.secret_digest)
                finally:
                    data[:] = bytes(P.PREAMBLE_LEN)
                conn.authed = True
                conn.sock.sendall(P.frame(b"P", P.U32.pack(os.getpid())))
            outcome = serve(conn, self)
        except P.Closed:
            pass
        except P.ProtocolError as e:
            self.log(APLOG_ERR, "protocol error on a connection from Apache: %s" % e)
        except OSError as e:
            self.log(APLOG_INFO, "connection from Apache failed: %s" % e)
        except BaseException:
            self.log(APLOG_ERR, "internal error serving a request:\n"
                     + traceback.format_exc().rstrip())
        with self.busy_lock:
            self.busy.pop(ident, None)
            self.requests += 1
            requests = self.requests
        if entry[3]:
            outcome = Outcome.CLOSE     # the watchdog answered it already
        self.last_activity = time.monotonic()
        if self.o.maximum_requests and requests >= self.o.maximum_requests:
            self.retire("maximum-requests=%d reached" % self.o.maximum_requests)
        return outcome

    def worker(self):
        ident = threading.get_ident()
        poller = select.poll()
        while True:
            conn, ready = self.queue.get()
            if conn is None:
                return
            while True:
                outcome = self.serve_one(ident, conn)
                # An Apache child usually sends its next request on the same connection within
                # a millisecond or two: wait for it here a moment (GIL released) instead of
                # handing the connection back to the selector thread and waking a worker again.
                # Not when others are queued: then this thread is needed elsewhere.
                if (outcome == Outcome.KEEP and not conn.broken and not self.retiring
                        and not self.draining and self.queue.empty()):
                    poller.register(conn.fileno, select.POLLIN)
                    try:
                        ready_now = poller.poll(LINGER_MS)
                    finally:
                        poller.unregister(conn.fileno)
                    if ready_now:
                        continue
                break
            if outcome == Outcome.KEEP and not conn.broken:
                conn.idle_since = time.monotonic()
                with self.returned_lock:
                    self.returned.append(conn)
            else:
                conn.close()
            with self.busy_lock:
                self.pending -= 1
            self.wake()

    # ------------------------------------------------------------------ watchdog

    def arm_deadlock_timer(self):
        """faulthandler's own (native) thread dumps every stack and exits the process unless
        this is called again within deadlock-timeout: it cannot be while the GIL is stuck.
        Re-armed every quarter of the timeout (each arming starts a thread)."""
        timeout = self.o.deadlock_timeout
        now = time.monotonic()
        if timeout and now - self.armed_at >= min(timeout / 4, 5.0):
            self.armed_at = now
            faulthandler.dump_traceback_later(timeout, exit=True, file=sys.__stderr__)

    def watchdog(self):
        o = self.o
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            self.arm_deadlock_timer()
            if os.getppid() != self.ppid:
                self.log(APLOG_ERR, "the Apache parent process went away; exiting")
                self.drain()
                self.stop_at = min(self.stop_at or now + 2, now + 2)
            if o.request_timeout:
                self.check_request_timeout(now)
            if self.retiring or self.draining:
                continue
            with self.busy_lock:
                nbusy = len(self.busy)
            if o.inactivity_timeout and not nbusy and \
                    now - self.last_activity > o.inactivity_timeout:
                self.retire("inactivity-timeout=%gs: no request" % o.inactivity_timeout)
            elif o.restart_interval and now - self.started > o.restart_interval:
                self.retire("restart-interval=%gs" % o.restart_interval)

    def check_request_timeout(self, now):
        frames = None
        with self.busy_lock:
            late = [(ident, e) for ident, e in self.busy.items()
                    if not e[3] and now - e[1] > self.o.request_timeout]
            for _, e in late:
                e[3] = True
        for ident, (conn, start, script, _) in late:
            if frames is None:
                frames = sys._current_frames()
            stack = "".join(traceback.format_stack(frames[ident])) if ident in frames else ""
            self.log(APLOG_ERR, "request-timeout: the request for %s ran %.1f s "
                     "(request-timeout=%gs); answered 504 if it had not started its response, "
                     "and the process is being replaced. Stack of the thread:\n%s"
                     % (script, now - start, self.o.request_timeout, stack.rstrip()))
            if not conn.head_sent:
                conn.finish(P.encode_end(504, P.FLAG_CLOSE))
            else:
                conn.finish(P.frame(b"X", b"request-timeout"))
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.retire("request-timeout=%gs" % self.o.request_timeout)

    # ------------------------------------------------------------------ main loop

    def accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                self.log(APLOG_ERR, "accept failed: %s" % e)
                return
            try:
                uid = peer_uid(sock)
            except OSError:
                uid = -1
            if self.o.peer_uid >= 0 and uid not in (self.o.peer_uid, 0, os.getuid()):
                self.log(APLOG_WARNING, "refused a connection from uid %d (only the Apache "
                         "children may connect)" % uid)
                sock.close()
                continue
            sock.setblocking(True)
            if self.o.socket_timeout:
                sock.settimeout(self.o.socket_timeout)
            conn = Connection(sock)
            self.idle.add(conn)
            self.sel.register(sock, selectors.EVENT_READ, conn)

    def goodbye(self, conn):
        try:
            conn.sock.send(P.frame(b"G"))
        except OSError:
            pass
        conn.close()

    def run(self):
        o = self.o
        self.arm_deadlock_timer()      # before the first request can hold the GIL
        for _ in range(o.threads):
            threading.Thread(target=self.worker, daemon=True, name="wsgi-worker").start()
        threading.Thread(target=self.watchdog, daemon=True, name="watchdog").start()
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "listen")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "wake")
        listening = True
        last_sweep = time.monotonic()
        idle_since_drain = None
        while True:
            try:
                events = self.sel.select(0.5)
            except InterruptedError:
                events = []
            for key, _ in events:
                if key.data == "listen":
                    self.accept()
                elif key.data == "wake":
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except (BlockingIOError, InterruptedError):
                        pass
                else:
                    conn = key.data
                    self.sel.unregister(conn.sock)
                    self.idle.discard(conn)
                    with self.busy_lock:
                        self.pending += 1
                    self.queue.put((conn, time.monotonic()))
            with self.returned_lock:
                back, self.returned = self.returned, []
            for conn in back:
                if self.retiring:
                    self.goodbye(conn)
                else:
                    self.idle.add(conn)
                    self.sel.register(conn.sock, selectors.EVENT_READ, conn)
            now = time.monotonic()
            if self.retiring and listening:
                self.sel.unregister(self.listener)
                listening = False
                for conn in list(self.idle):
                    self.sel.unregister(conn.sock)
                    self.goodbye(conn)
                self.idle.clear()
            if now - last_sweep > 5:
                last_sweep = now
                for conn in [c for c in self.idle if now - c.idle_since > IDLE_CONNECTION_TIMEOUT
                             + 5]:
                    self.sel.unregister(conn.sock)
                    self.idle.discard(conn)
                    self.goodbye(conn)
            if self.retiring or self.draining:
                with self.busy_lock:
                    # a request whose thread is stuck past request-timeout was answered already
                    running = self.pending - sum(1 for e in self.busy.values() if e[3])
                if self.retiring and not running:
                    return self.exit("retired: %s" % self.retire_reason)
                if self.draining:
                    if running or self.idle:
                        idle_since_drain = None
                    elif idle_since_drain is None:
                        idle_since_drain = now
                    elif now - idle_since_drain > 0.5:
                        return self.exit("stopped")
                if now > self.stop_at:
                    return self.exit("graceful-timeout=%gs passed with requests still running"
                                     % o.graceful_timeout)

    def exit(self, why):
        self.log(APLOG_INFO, "process exiting: %s" % why)
        # whatever the children may still send on a connection gets G first: never run, never lost
        with self.returned_lock:
            back, self.returned = self.returned, []
        for conn in back + list(self.idle):
            self.goodbye(conn)
        done = threading.Event()

        def shutdown():
            try:
                lifecycle.run_shutdown()
            finally:
                done.set()
        threading.Thread(target=shutdown, daemon=True).start()
        done.wait(self.o.shutdown_timeout)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(EXIT_OK)


def install_signals(daemon):
    signal.set_wakeup_fd(daemon.wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGTERM, lambda *a: daemon.drain())
    signal.signal(signal.SIGINT, lambda *a: daemon.drain())
    signal.signal(signal.SIGHUP, lambda *a: daemon.drain())
    signal.signal(signal.SIGUSR1, lambda *a: daemon.retire("SIGUSR1"))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

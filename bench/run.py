"""The benchmark: every scenario against Apache alone, mod_wsgi 6 and mod_wsgi_ext.

Every scenario of bench/scenarios.py against Apache alone, mod_wsgi 6 and
mod_wsgi_ext, interleaved in one sitting, under prefork and event.

Run it as ``bench/run`` (which prepares the machine and the venv, see bench/README.md), or with a
venv that has mod_wsgi, Django, Flask and matplotlib: ``$VENV/bin/python bench/run.py``.

Unless ``--no-build``, builds and installs mod_wsgi_ext from this tree into the running Python's
environment.  Then for each MPM and each scenario it starts one Apache per variant on a free
loopback port, checks each answers the expected body (and names the expected module in its
``Server`` header), warms each up, and measures them interleaved (A B C A B C ...) with wrk,
recording req/s, p50/p99 latency, the server's CPU time per request and the peak RSS of its
children.  It writes ``results-<date>.md`` (the table), ``.json`` (every raw figure) and ``.png``
(the ratios) into ``--out``.  Every server is stopped by pid on the way out, Ctrl-C included.
"""

import argparse
import datetime
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import report  # noqa: E402
import scenarios  # noqa: E402
import server as srvmod  # noqa: E402
import wrk  # noqa: E402

# DAEMON: daemon mode (WSGIDaemonProcess, 2 processes x 16 threads, %{GLOBAL}) for both modules
GROUPS = {"GLOBAL": "%{GLOBAL}", "RESOURCE": "%{RESOURCE}", "DAEMON": "DAEMON"}


# ------------------------------------------------------------------------------------ building

def build(python, src):
    """pip install the tree at ``src`` into the venv of ``python`` (no isolation, no deps)."""
    print("building mod_wsgi_ext from %s into %s ..." % (src, os.path.dirname(os.path.dirname(
        python))), file=sys.stderr, flush=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps",
                    "--force-reinstall", src], check=True, stdout=subprocess.DEVNULL, cwd="/")


def baseline_python(ref, workdir):
    """A copy of this venv with mod_wsgi_ext built from git ``ref``; returns its python."""
    sha = subprocess.check_output(["git", "-C", ROOT, "rev-parse", "--verify", ref + "^{commit}"],
                                  text=True).strip()
    src = os.path.join(workdir, "src-" + sha[:10])
    os.makedirs(src)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
    if archive.wait():
        raise SystemExit("git archive %s failed" % ref)
    venv = os.path.join(workdir, "venv-" + sha[:10])
    shutil.copytree(sys.prefix, venv, symlinks=True)
    python = os.path.join(venv, "bin", "python")
    build(python, src)
    return python, sha[:10]


# ------------------------------------------------------------------------------------ servers

def start_servers(mpm, scen, group, loads, baseline, live):
    """One started server per variant of ``scen``, in measuring order."""
    servers = []
    for site in scen.sites:
        variants = [(site.label, site.kind, loads.get(site.kind, ""))]
        if site.kind == "ours" and baseline:
            variants.append(("ours@" + baseline[1], "ours", srvmod.mod_wsgi_ext_load(baseline[0])))
        for label, kind, load in variants:
            srv = srvmod.Server(label, kind, mpm, group, load, conf=site.conf, path=scen.path,
                                modules=site.modules)
            live.append(srv)
            servers.append(srv)
    for srv in servers:
        srv.start()
    return servers


def check(srv, scen):
    """One request: it must get the scenario's body from the module we meant."""
    headers = dict(h.split(": ", 1) for h in scen.headers)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        if scen.post is not None:
            conn.request("POST", srv.path, body=scen.post, headers=dict(
                headers, **{"Content-Type": "application/octet-stream"}))
        else:
            conn.request("GET", srv.path, headers=headers)
        resp = conn.getresponse()
        body, status, banner = resp.read(), resp.status, resp.getheader("Server", "")
    finally:
        conn.close()
    if status != 200 or not scen.body_ok(body):
        raise RuntimeError("%s: %s answered %s %r\n%s" % (srv.name, srv.url(), status, body[:200],
                                                          srv.log()[-2000:]))
    want = {"mod_wsgi": "mod_wsgi/", "ours": "mod_wsgi_ext/"}.get(srv.kind)
    if want and want not in banner:
        raise RuntimeError("%s: Server header %r does not name %s" % (srv.name, banner, want))


def measure(srv, scen, seconds, args, lua):
    cpu0 = srv.cpu_seconds()
    res = wrk.measure(srv.url(), seconds, args.threads, args.connections, scen.headers, lua)
    if res.requests:
        res.cpu_us = (srv.cpu_seconds() - cpu0) * 1e6 / res.requests
    return res


def warm_up(srv, scen, args, lua):
    """1-second wrk runs, at least ``--warmup`` s, until two runs in a row agree within 25%
    (every child has loaded the application: Django takes a while), at most 15 s (3 s with
    ``--quick``).  A socket error
    while interpreters start is tolerated; a non-2xx answer means a broken configuration."""
    previous, spent = None, 0
    while True:
        res = measure(srv, scen, 1, args, lua)
        spent += 1
        if any("non-2xx" in p or "unreadable" in p or "wrk exited" in p for p in res.problems):
            raise RuntimeError("%s: warm-up run failed (%s):\n%s\n%s"
                               % (srv.name, "; ".join(res.problems), res.text, srv.log()))
        steady = previous and res.rps and abs(res.rps - previous) <= 0.25 * previous
        if spent >= max(args.warmup, 3 if args.quick else 15) or (
                spent >= args.warmup and steady):
            return
        previous = res.rps


def log_errors(srv):
    # AH00161 (all prefork children busy) is expected: one child per wrk connection
    bad = [ln for ln in srv.log().splitlines() if "AH00161" not in ln and (
        ":error]" in ln or ":crit]" in ln or ":emerg]" in ln or ":alert]" in ln)]
    if bad:
        print("  warning: %s logged %d error lines, first: %s" % (srv.name, len(bad), bad[0]),
              file=sys.stderr)
    return len(bad)


def run_scenario(mpm, scen, args, loads, baseline, live, workdir):
    """Measure every variant of ``scen`` under ``mpm``; returns the cells (dicts)."""
    lua = None
    if scen.lua:
        lua = os.path.join(workdir, "%s.lua" % scen.name)
        with open(lua, "w") as f:
            f.write(scen.lua)
    servers = start_servers(mpm, scen, GROUPS[args.group], loads, baseline, live)
    try:
        for srv in servers:
            check(srv, scen)
        for srv in servers:
            warm_up(srv, scen, args, lua)
        rounds = {srv.name: [] for srv in servers}
        for rnd in range(args.rounds):
            for srv in servers:
                res = measure(srv, scen, args.seconds, args, lua)
                status = "%.0f req/s p50 %s p99 %s, server CPU %s/req" % (
                    res.rps, report.fmt_us(res.p50), report.fmt_us(res.p99),
                    report.fmt_us(res.cpu_us))
                if not res.valid:
                    status = "INVALID (%s)" % "; ".join(res.problems)
                print("  %-7s %-7s round %d  %-20s %s" % (mpm, scen.name, rnd + 1, srv.name,
                                                          status), file=sys.stderr, flush=True)
                rounds[srv.name].append(res)
        cells = []
        for srv in servers:
            cells.append({
                "mpm": mpm, "scenario": scen.name, "title": scen.title, "server": srv.name,
                "kind": srv.kind, "reference": scen.reference,
                "peak_rss_kb": srv.peak_rss_kb(),
                "rounds": [{"rps": r.rps, "p50_us": r.p50, "p99_us": r.p99,
                            "requests": r.requests, "cpu_us_per_request": r.cpu_us,
                            "problems": r.problems} for r in rounds[srv.name]],
            })
    finally:
        for srv in servers:
            srv.stop()
    for srv, cell in zip(servers, cells):
        cell["error_log_lines"] = log_errors(srv)
        srv.cleanup()
        live.remove(srv)
    return cells


# ------------------------------------------------------------------------------------ main

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="per measurement (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up seconds per server (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--quick", action="store_true",
                    help="1 s per measurement and warm-up: proves the harness, measures little")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    ap.add_argument("--mpm", default="prefork,event", help="comma list (default prefork,event)")
    ap.add_argument("--scenarios", default=",".join(s.name for s in scenarios.SCENARIOS),
                    help="comma list (default all: %(default)s)")
    ap.add_argument("--group", default="GLOBAL", choices=list(GROUPS),
                    help="application group of the WSGI applications (default GLOBAL)")
    ap.add_argument("--baseline", metavar="REF",
                    help="also measure mod_wsgi_ext built from this git ref (in a venv copy)")
    ap.add_argument("--no-build", action="store_true",
                    help="use the installed mod_wsgi_ext as is (default: build from the tree)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"),
                    help="directory for results-<date>.md/.json/.png (default bench/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds = args.warmup = 1
    args.mpms = [m for m in args.mpm.split(",") if m]
    for m in args.mpms:
        if m not in ("prefork", "event"):
            ap.error("unknown MPM %s" % m)
    args.scens = []
    for name in args.scenarios.split(","):
        if name not in scenarios.BY_NAME:
            ap.error("unknown scenario %s (known: %s)" % (name, ", ".join(scenarios.BY_NAME)))
        args.scens.append(scenarios.BY_NAME[name])
    return args


def main(argv=None):
    args = parse_args(argv)
    report.require_matplotlib()

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    live = []
    workdir = tempfile.mkdtemp(prefix="wx-bench-build-")
    os.chmod(workdir, 0o755)
    started = time.time()
    try:
        if not args.no_build:
            build(sys.executable, ROOT)
        baseline = baseline_python(args.baseline, workdir) if args.baseline else None
        kinds = {s.kind for scen in args.scens for s in scen.sites}
        loads = {}
        if "ours" in kinds:
            loads["ours"] = srvmod.mod_wsgi_ext_load(sys.executable)
        if "mod_wsgi" in kinds:
            loads["mod_wsgi"] = srvmod.mod_wsgi_load(sys.executable)
        cells = []
        for mpm in args.mpms:
            for scen in args.scens:
                cells += run_scenario(mpm, scen, args, loads, baseline, live, workdir)
        env = report.environment(args, baseline[1] if baseline else None, ROOT, srvmod.APACHE,
                                 srvmod, time.time() - started)
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, "results-%s" % datetime.datetime.now().strftime(
            "%Y-%m-%d-%H%M"))
        paths = report.write(stem, env, cells)
        with open(paths[0]) as f:
            print(f.read())
        print("written: %s" % ", ".join(paths), file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping servers", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for srv in live:
            srv.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

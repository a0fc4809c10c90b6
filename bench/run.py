"""Hello-world throughput and latency: static file vs mod_wsgi 6 vs mod_wsgi_ext, same sitting.

Run with the project's venv:  ``$VENV/bin/python bench/run.py``  (see bench/README.md).

Builds and installs mod_wsgi_ext from this tree into the running Python's environment, then for
each MPM starts one Apache per case (static file; mod_wsgi and mod_wsgi_ext embedded in the main
interpreter, %{GLOBAL}, and in a sub-interpreter, %{RESOURCE}; optionally mod_wsgi_ext built from
another git ref with ``--baseline REF``), checks each answers 200 "hello world", warms each up, and
measures them interleaved (A B C A B C ...) with wrk.  The table of medians goes to stdout and to
bench/results-<date>.md.  Every server is stopped by pid on the way out, Ctrl-C included.
"""

import argparse
import datetime
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

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


# ------------------------------------------------------------------------------------ cases

def make_cases(mpm, groups, baseline):
    """[(label, kind, group, load_lines)] for one MPM, in measuring order."""
    ours = srvmod.mod_wsgi_ext_load(sys.executable)
    theirs = srvmod.mod_wsgi_load(sys.executable)
    cases = [("static", "static", None, "")]
    for g in groups:
        cases.append(("mod_wsgi %s" % g, "mod_wsgi", g, theirs))
        cases.append(("ours %s" % g, "ours", g, ours))
        if baseline:
            bpython, bname = baseline
            cases.append(("ours@%s %s" % (bname, g), "ours", g, srvmod.mod_wsgi_ext_load(bpython)))
    return cases


def check(srv):
    """One request: must be 200 with the hello-world body, served by the module we meant."""
    with urllib.request.urlopen(srv.url(), timeout=10) as resp:
        body, status, banner = resp.read(), resp.status, resp.headers.get("Server", "")
    if status != 200 or body != srvmod.BODY:
        raise RuntimeError("%s: %s answered %s %r" % (srv.name, srv.url(), status, body[:200]))
    want = {"mod_wsgi": "mod_wsgi/", "ours": "mod_wsgi_ext/"}.get(srv.kind)
    if want and want not in banner:
        raise RuntimeError("%s: Server header %r does not name %s" % (srv.name, banner, want))


# ------------------------------------------------------------------------------------ running

def run_mpm(mpm, cases, args, live):
    servers = []
    for label, kind, group, load in cases:
        srv = srvmod.Server(label, kind, mpm, GROUPS.get(group, ""), load)
        live.append(srv)
        servers.append(srv.start())
    for srv in servers:
        check(srv)
    for srv in servers:
        # warm-up also creates the interpreters in every child: a socket error while they start
        # is tolerated here, a non-2xx answer means a broken configuration
        res = wrk.measure(srv.url(), args.warmup, args.threads, args.connections)
        if any("non-2xx" in p or "unreadable" in p or "wrk exited" in p for p in res.problems):
            raise RuntimeError("%s: warm-up run failed (%s):\n%s\n%s"
                               % (srv.name, "; ".join(res.problems), res.text, srv.log()))
    samples = {srv.name: [] for srv in servers}
    for rnd in range(args.rounds):
        for srv in servers:
            cpu0 = srv.cpu_seconds()
            res = wrk.measure(srv.url(), args.seconds, args.threads, args.connections)
            if res.requests:
                res.cpu_us = (srv.cpu_seconds() - cpu0) * 1e6 / res.requests
            status = "%.0f req/s p50 %s p99 %s, server CPU %s/req" % (
                res.rps, fmt_us(res.p50), fmt_us(res.p99), fmt_us(res.cpu_us))
            if not res.valid:
                status = "INVALID (%s)" % "; ".join(res.problems)
            print("  %-8s round %d  %-24s %s" % (mpm, rnd + 1, srv.name, status), file=sys.stderr,
                  flush=True)
            samples[srv.name].append(res)
    for srv in servers:
        srv.stop()
        # AH00161 (all prefork children busy) is expected: one child per wrk connection
        bad = [ln for ln in srv.log().splitlines() if "AH00161" not in ln and (
            ":error]" in ln or ":crit]" in ln or ":emerg]" in ln or ":alert]" in ln)]
        if bad:
            print("  warning: %s logged %d error lines, first: %s" % (srv.name, len(bad), bad[0]),
                  file=sys.stderr)
    return samples


def fmt_us(us):
    if us is None:
        return "-"
    return "%.0f µs" % us if us < 1000 else "%.2f ms" % (us / 1000)


def summarise(samples):
    """median req/s, p50, p99, CPU/request over the rounds; None when a round was invalid."""
    if any(not r.valid for r in samples):
        return None
    return (statistics.median(r.rps for r in samples), statistics.median(r.p50 for r in samples),
            statistics.median(r.p99 for r in samples),
            statistics.median(r.cpu_us for r in samples))


def table(results, baseline_name):
    head = ["MPM", "server", "app group", "req/s (median)", "req/s per round", "p50", "p99",
            "server CPU/req", "vs static"]
    head += ["ours / mod_wsgi"]
    if baseline_name:
        head += ["ours / ours@" + baseline_name]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for mpm, cases, samples in results:
        summ = {label: summarise(samples[label]) for label, *_ in cases}
        static = summ.get("static")
        for label, kind, group, _load in cases:
            s = summ[label]
            per_round = " ".join("%.0f" % r.rps if r.valid else "invalid" for r in samples[label])
            name = label.rsplit(" ", 1)[0] if group else label
            if s is None:
                rows.append("| %s | %s | %s | INVALID | %s | | | | | |" % (mpm, name, group or "-",
                                                                       per_round)
                            + (" |" if baseline_name else ""))
                continue

            def ratio(other):
                o = summ.get(other)
                return "%.2f" % (s[0] / o[0]) if o else "-"
            cells = [mpm, name, group or "-", "%.0f" % s[0], per_round, fmt_us(s[1]),
                     fmt_us(s[2]), fmt_us(s[3]), ratio("static") if static and kind != "static" else "-"]
            cells.append(ratio("mod_wsgi " + group) if label.startswith("ours ") else "-")
            if baseline_name:
                cells.append(ratio("ours@%s %s" % (baseline_name, group))
                             if label.startswith("ours ") else "-")
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def environment(args, baseline_name):
    def out(cmd):
        try:
            return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT,
                                           cwd="/").strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    commit = out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    if out(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    wsgi_version = out([sys.executable, "-c", "import importlib.metadata as m; "
                        "print(m.version('mod_wsgi'))"])
    lines = [
        "- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "- tree: %s%s" % (commit, (", baseline ours@%s" % baseline_name) if baseline_name else ""),
        "- machine: %s, %d CPUs, Linux %s" % (cpu, os.cpu_count(), platform.release()),
        "- %s; Python %s; mod_wsgi %s" % (out([srvmod.APACHE, "-v"]).splitlines()[0],
                                          platform.python_version(), wsgi_version),
        "- wrk -t%d -c%d --latency, %d s per measurement after %d s warm-up, %d rounds interleaved"
        % (args.threads, args.connections, args.seconds, args.warmup, args.rounds),
        "- prefork: %d processes; event: %d processes x %d threads; LogLevel warn, no access log, "
        "keep-alive unlimited" % (srvmod.PREFORK_PROCESSES, srvmod.EVENT_PROCESSES,
                                  srvmod.EVENT_THREADS),
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="per measurement (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up seconds per server (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    ap.add_argument("--mpm", default="prefork,event", help="comma list (default prefork,event)")
    ap.add_argument("--groups", default="GLOBAL,RESOURCE",
                    help="application groups to run (default GLOBAL,RESOURCE)")
    ap.add_argument("--baseline", metavar="REF",
                    help="also measure mod_wsgi_ext built from this git ref (in a venv copy)")
    ap.add_argument("--no-build", action="store_true",
                    help="use the installed mod_wsgi_ext as is (default: build from the tree)")
    ap.add_argument("--out", default=HERE, help="directory for results-<date>.md")
    args = ap.parse_args(argv)
    mpms = [m for m in args.mpm.split(",") if m]
    groups = [g for g in args.groups.split(",") if g]
    for g in groups:
        if g not in GROUPS:
            ap.error("unknown group %s (want GLOBAL or RESOURCE)" % g)

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    live = []
    workdir = tempfile.mkdtemp(prefix="wx-bench-build-")
    os.chmod(workdir, 0o755)
    try:
        if not args.no_build:
            build(sys.executable, ROOT)
        baseline = baseline_python(args.baseline, workdir) if args.baseline else None
        results = []
        for mpm in mpms:
            cases = make_cases(mpm, groups, baseline)
            results.append((mpm, cases, run_mpm(mpm, cases, args, live)))
        baseline_name = baseline[1] if baseline else None
        text = "# mod_wsgi_ext benchmark: hello world\n\n%s\n\n%s\n" % (
            environment(args, baseline_name), table(results, baseline_name))
        print(text)
        path = os.path.join(args.out, "results-%s.md" % datetime.datetime.now().strftime(
            "%Y-%m-%d-%H%M"))
        with open(path, "w") as f:
            f.write(text)
        print("written to %s" % path, file=sys.stderr)
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

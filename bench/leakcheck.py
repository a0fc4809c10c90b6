"""Memory stability of one Apache child under a long mixed load (a measurement, not a test).

Starts one Apache (the test harness's, one child process, MaxConnectionsPerChild 0) serving the
stress test's configuration, runs rounds of the stress test's client mix (hello world, several
interpreter groups, POST bodies read fully and in part, applications raising before and after the
headers, clients hanging up, a script being rewritten, auth scripts), and prints the child's
resident set size (VmRSS from /proc/PID/status) after each round.  A figure that keeps climbing
after the first rounds (warm-up: interpreters, imports, allocator arenas) points at a leak.

    python -P bench/leakcheck.py [--mpm event|prefork] [--requests 20000] [--clients 4]
                                 [--only OPERATION]

Run it with the Python of the environment the module is installed in (as the tests do).

With ``--scenario NAME`` (a scenario of bench/scenarios.py: hello, 64k, post, basic, group,
access, django, flask) it instead starts that scenario's mod_wsgi_ext server (bench/server.py) and
drives it with wrk in rounds until ``--requests`` (default 100000) have been served, printing the
resident set size of every child after each round:

    python -P bench/leakcheck.py --scenario basic --mpm prefork --requests 100000
"""
import argparse
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))



def children(parent):
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                pids.append(int(name))
    return pids


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scenario_main(args):
    """RSS of the children of one bench scenario's mod_wsgi_ext server under wrk."""
    sys.path.insert(0, HERE)
    import scenarios
    import server as srvmod
    import wrk
    scen = scenarios.BY_NAME[args.scenario]
    site = next(s for s in scen.sites if s.kind == args.server)
    load = (srvmod.mod_wsgi_ext_load(sys.executable) if args.server == "ours"
            else srvmod.mod_wsgi_load(sys.executable))
    srv = srvmod.Server(args.server, args.server, args.mpm, "%{GLOBAL}", load, conf=site.conf,
                        path=scen.path, modules=site.modules)
    lua = None
    if scen.lua:
        lua = os.path.join(srv.root, "bench.lua")
        with open(lua, "w") as f:
            f.write(scen.lua)
    try:
        srv.start()
        print("scenario=%s server=%s mpm=%s" % (scen.name, args.server, args.mpm))
        print("%6s %9s %s" % ("round", "requests", "RSS kB per child"))
        done, rnd, rows = 0, 0, []
        while done < args.requests or rnd < 6:      # at least 6 rounds to compare
            rnd += 1
            res = wrk.measure(srv.url(), args.seconds, 1, 8, scen.headers, lua)
            # the first round also starts the interpreters (Django: seconds in every child), where
            # wrk may time out: only a wrong answer is fatal there
            if not res.valid and (rnd > 1 or any("non-2xx" in p or "wrk exited" in p
                                                 for p in res.problems)):
                raise SystemExit("round %d: %s\n%s" % (rnd, "; ".join(res.problems), srv.log()))
            done += res.requests
            rss = {pid: rss_kb(pid) for pid in sorted(srv.children())}
            rows.append((done, rss))
            print("%6d %9d %s" % (rnd, done, " ".join("%d" % v for v in rss.values())),
                  flush=True)
        if len(rows) > 3:
            # the largest RSS of each child in the first and in the second half of the rounds
            # after the first (warm-up): a leak climbs, a large request in flight only fluctuates
            rest = rows[1:]
            half = len(rest) // 2
            early, late = rest[:half], rest[half:]
            pids = [pid for pid in rows[-1][1] if all(pid in k for _, k in rest)]
            growth = max((max(k[pid] for _, k in late) - max(k[pid] for _, k in early)
                          for pid in pids), default=0)
            print("after warm-up (rounds 2 to %d, %d requests): largest growth of a child's peak "
                  "from the first half of the rounds to the second: %+d kB"
                  % (len(rows), rows[-1][0] - rows[0][0], growth))
    finally:
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mpm", default="event", choices=["event", "prefork"])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", metavar="OPERATION",
                    help="run this one operation of the mix (a leak in a rare path shows sooner)")
    ap.add_argument("--scenario", help="a bench scenario instead of the stress mix (wrk)")
    ap.add_argument("--seconds", type=int, default=2, help="per wrk round with --scenario")
    ap.add_argument("--server", default="ours", choices=["ours", "mod_wsgi"],
                    help="with --scenario: whose server (mod_wsgi, to compare; default ours)")
    args = ap.parse_args()
    if args.scenario:
        if "--requests" not in sys.argv:
            args.requests = 100000
        return scenario_main(args)
    # the stress mix needs the test suite's client (and its requirements)
    from functional import authconf, test_stress
    from functional.server import Apache
    if args.only and args.only not in [op.__name__ for op, _ in test_stress.Client.OPERATIONS]:
        ap.error("--only: one of %s" % ", ".join(op.__name__
                                                for op, _ in test_stress.Client.OPERATIONS))
    if args.only:
        test_stress.Client.OPERATIONS = [(op, w) for op, w in test_stress.Client.OPERATIONS
                                         if op.__name__ == args.only]

    kw = dict(mpm=args.mpm, processes=1)
    if args.mpm == "event":
        kw["threads"] = 8
    extra = "\nMaxConnectionsPerChild 0\n"
    if args.mpm == "prefork":
        extra += "ServerLimit 1\nMaxRequestWorkers 1\n"   # no second child when the first is busy
        args.clients = 1      # one child serves one connection at a time
    srv = authconf.prepare(Apache(test_stress.CONF + extra, modules=authconf.MODULES,
                                  log_level="warn", **kw))
    state = os.path.join(srv.root, "state")
    os.mkdir(state)
    os.chmod(state, 0o755)
    test_stress._write_reload(srv.root, 0)
    srv.start()
    try:
        time.sleep(0.5)
        pids = children(srv.proc.pid)
        if len(pids) != 1:
            raise SystemExit("expected one child, found %s" % pids)
        pid = pids[0]
        failures, tokens, versions = [], {}, [0]
        per_round = args.requests // args.rounds // args.clients
        print("mpm=%s child=%d clients=%d requests/round=%d%s" % (
            args.mpm, pid, args.clients, per_round * args.clients,
            " only=" + args.only if args.only else ""))
        print("%6s %9s %8s %7s" % ("round", "requests", "RSS kB", "delta"))
        first = rss_kb(pid)
        print("%6d %9d %8d %7s" % (0, 0, first, ""))
        done, previous, marks = 0, first, [(0, first)]
        for rnd in range(1, args.rounds + 1):
            versions[0] += 1
            test_stress._write_reload(srv.root, versions[0])
            clients = [test_stress.Client(srv, random.Random(args.seed * 1000 + rnd * 100 + i),
                                          failures, tokens, versions)
                       for i in range(args.clients)]
            threads = [threading.Thread(target=c.run, args=(per_round,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            done += per_round * args.clients
            now = rss_kb(pid)
            print("%6d %9d %8d %+7d" % (rnd, done, now, now - previous), flush=True)
            previous = now
            marks.append((done, now))
        if children(srv.proc.pid) != [pid]:
            print("the child changed: %s" % children(srv.proc.pid))
        print("unexpected outcomes: %d%s" % (len(failures),
                                             (" (first: %s)" % failures[0]) if failures else ""))
        if len(marks) > 2:
            (r0, k0), (r1, k1) = marks[2], marks[-1]
            print("after warm-up (round 2 to %d): %+d kB over %d requests (%.2f kB per 1000)"
                  % (args.rounds, k1 - k0, r1 - r0, (k1 - k0) * 1000.0 / max(r1 - r0, 1)))
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main()

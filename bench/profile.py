"""Where a request spends its instructions: callgrind on a single-process Apache.

    $VENV/bin/python bench/profile.py --kind ours --group GLOBAL      # or mod_wsgi, static
    $VENV/bin/python bench/profile.py --scenario basic --kind ours    # or group, access, 64k...

Starts the server of one variant of a scenario of bench/scenarios.py (``--kind static`` is
the Apache-only variant: the static file, or the static file behind Apache's C auth module) as ``apache2 -X`` under
``valgrind --tool=callgrind --instr-atstart=no``, sends ``--warm`` requests, switches
instrumentation on, sends ``--requests`` keep-alive requests (each checked for 200 and the body),
dumps, and prints instructions per request with the top functions (self and inclusive), per
request.  Instruction counts do not depend on other load on the machine, so before/after
comparisons of small changes are meaningful here where req/s would be noise.  The server is
stopped by pid on the way out, Ctrl-C included.
"""

import argparse
import glob
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402
import scenarios  # noqa: E402
import server as srvmod  # noqa: E402


def requests(port, path, n, scen, extra_headers=None):
    headers = dict(h.split(": ", 1) for h in scen.headers)
    headers.update(extra_headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for _ in range(n):
            if scen.post is not None:
                conn.request("POST", path, body=scen.post, headers=headers)
            else:
                conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200 or not scen.body_ok(body):
                raise RuntimeError("bad answer: %s %r" % (resp.status, body[:200]))
    finally:
        conn.close()


# valgrind's gdbserver (behind callgrind_control) cannot follow a process that switches user,
# so when we are root the whole -X server runs as www-data from the start.
AS_USER = ["setpriv", "--reuid=www-data", "--regid=www-data", "--init-groups"] \
    if os.geteuid() == 0 else []


def control(pid, *args):
    proc = subprocess.Popen(AS_USER + ["callgrind_control"] + list(args) + [str(pid)],
                            stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        if proc.wait(timeout=120):
            raise RuntimeError("callgrind_control %s failed" % " ".join(args))
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)   # its own session: it and its vgdb
        proc.wait()
        raise


def annotate(path, n, top, inclusive):
    out = subprocess.check_output(["callgrind_annotate", "--inclusive=%s" % (
        "yes" if inclusive else "no"), "--threshold=100", path], text=True)
    total = None
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)(?: \([^)]*\))?\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+)(?: \([^)]*\))?\s+(\S.*)$", line)
        if m and total is not None and len(rows) < top:
            rows.append((int(m.group(1).replace(",", "")), m.group(2)))
    return total, rows


PHASES_SCRIPT = """from wsgi_phases import Phases, OK

phases = Phases()


@phases.access
def lan_only(request):
    return OK if request.client_ip.startswith("127.") else 403


@phases.fixup
def tenant(request):
    request.notes["tenant"] = "acme"
    return OK
"""


# user "bench", password "secret" (htpasswd -b -s: SHA1, cheap to check, as the scripts are)
AUTH_USERS = "bench:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"
AUTH_SCRIPT = """from wsgi_phases import Phases

phases = Phases()


@phases.check_password
def phase_check(request, user, password):
    return user == "bench" and password == "secret"


def check_password(environ, user, password):
    return user == "bench" and password == "secret"
"""
AUTH_HEADER = {"Authorization": "Basic YmVuY2g6c2VjcmV0"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", choices=list(scenarios.BY_NAME), default="hello")
    ap.add_argument("--kind", choices=["ours", "mod_wsgi", "static"], default="ours")
    ap.add_argument("--group", choices=list(run.GROUPS), default="GLOBAL")
    ap.add_argument("--mpm", choices=["prefork", "event"], default="prefork")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warm", type=int, default=200)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--python", default=sys.executable,
                    help="venv python whose mod_wsgi_ext to load (default: this one)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--keep", metavar="DIR", help="copy the callgrind output here")
    ap.add_argument("--auth", choices=["none", "file", "script", "phases"], default="none",
                    help="Basic authentication of every request through mod_authn_file, a "
                         "WSGIAuthUserScript or a WSGIPhaseScript's check_password")
    ap.add_argument("--phases", choices=["none", "here", "elsewhere", "env"], default="none",
                    help="a WSGIPhaseScript with an access and a fixup handler (which sets a "
                         "note; with env: a subprocess_env entry) in the measured URL's scope "
                         "(here, env), or only in another <Location> (elsewhere)")
    args = ap.parse_args(argv)

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)

    if args.kind == "ours" and not args.no_build and args.python == sys.executable:
        run.build(sys.executable, run.ROOT)
    load = {"ours": lambda: srvmod.mod_wsgi_ext_load(args.python),
            "mod_wsgi": lambda: srvmod.mod_wsgi_load(sys.executable),
            "static": lambda: ""}[args.kind]()
    outdir = tempfile.mkdtemp(prefix="wx-callgrind-")
    os.chmod(outdir, 0o1777)   # the -X process writes its dump after switching to www-data
    scen = scenarios.BY_NAME[args.scenario]
    site = next((s for s in scen.sites if s.kind == {"static": "c"}.get(args.kind, args.kind)),
                None)
    if site is None:
        raise SystemExit("scenario %s has no %s variant" % (args.scenario, args.kind))
    if (args.phases != "none" or args.auth != "none") and args.scenario != "hello":
        raise SystemExit("--phases and --auth add to the hello scenario only")
    extra = ""
    if args.phases != "none":
        where = "/elsewhere" if args.phases == "elsewhere" else scen.path
        extra = "<Location %s>\n  WSGIPhaseScript {root}/phases.py\n</Location>\n" % where
    if args.auth != "none":
        provider = {"file": "file\n  AuthUserFile {root}/users",
                    "script": "wsgi\n  WSGIAuthUserScript {root}/auth.py",
                    "phases": "wsgi\n  WSGIPhaseScript {root}/auth.py"}[args.auth]
        extra += ('LoadModule auth_basic_module %s/mod_auth_basic.so\n'
                  'LoadModule authn_file_module %s/mod_authn_file.so\n'
                  'LoadModule authz_user_module %s/mod_authz_user.so\n'
                  '<Location %s>\n  AuthType Basic\n  AuthName bench\n'
                  '  AuthBasicProvider %s\n  Require valid-user\n</Location>\n'
                  % (srvmod.MODDIR, srvmod.MODDIR, srvmod.MODDIR, scen.path, provider))
    srv = srvmod.Server("%s %s" % (args.kind, args.group), site.kind, args.mpm,
                        run.GROUPS[args.group], load, conf=site.conf, path=scen.path,
                        modules=site.modules, extra=extra)
    if args.auth != "none":
        for name, text in (("users", AUTH_USERS), ("auth.py", AUTH_SCRIPT)):
            with open(os.path.join(srv.root, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(srv.root, name), 0o644)
    if args.phases != "none":
        with open(os.path.join(srv.root, "phases.py"), "w") as f:
            f.write(PHASES_SCRIPT if args.phases != "env" else PHASES_SCRIPT.replace(
                'request.notes["tenant"]', 'request.subprocess_env["TENANT"]'))
        os.chmod(os.path.join(srv.root, "phases.py"), 0o644)
    try:
        if AS_USER:
            for dirpath, _dirs, files in os.walk(srv.root):
                shutil.chown(dirpath, "www-data", "www-data")
                for fn in files:
                    shutil.chown(os.path.join(dirpath, fn), "www-data", "www-data")
        srv.start(timeout=180, single=True, wrapper=AS_USER + [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--trace-children=no",
            "--callgrind-out-file=%s/cg.out" % outdir])
        headers = AUTH_HEADER if args.auth != "none" else None
        requests(srv.port, srv.path, args.warm, scen, headers)
        pid = srv.proc.pid
        control(pid, "-i", "on")
        t0 = time.time()
        requests(srv.port, srv.path, args.requests, scen, headers)
        elapsed = time.time() - t0
        control(pid, "-d")
        dumps = sorted(glob.glob(os.path.join(outdir, "cg.out*")))
        if not dumps:
            raise RuntimeError("no callgrind dump in %s:\n%s" % (outdir, srv.log()))
        path = dumps[-1]
        if args.keep:
            shutil.copy(path, args.keep)
        total, selfrows = annotate(path, args.requests, args.top, False)
        _, incrows = annotate(path, args.requests, args.top, True)
        n = args.requests
        print("# callgrind: %s, %s (%s), %s, %s, phases %s, auth %s; %d requests (%.1f s under "
              "valgrind)\n" % (scen.title, args.kind, site.label, args.group, args.mpm,
                               args.phases, args.auth, n, elapsed))
        print("instructions per request: %.0f\n" % (total / n))
        for title, rows in (("self", selfrows), ("inclusive", incrows)):
            print("## top functions, %s instructions per request\n" % title)
            for ir, name in rows:
                print("%10.0f  %5.1f%%  %s" % (ir / n, 100.0 * ir / total, name[:140]))
            print()
        return 0
    except KeyboardInterrupt:
        print("interrupted; stopping the server", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        srv.cleanup()
        shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

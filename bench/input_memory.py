"""Peak memory of reading a large request body through wsgi.input (a measurement, not a test).

For each MPM and each way of reading (read(), read(n), readline(), readlines()) starts a fresh
Apache (the test harness's, one child), POSTs a body of --mb megabytes without newlines to
tests/functional/apps/hardening/bodymem.wsgi, and prints how far the child's peak resident set
(VmHWM) rose above its resident set before the read (VmRSS), in MB.  One copy of the body is the
floor; tests/functional/test_input_memory.py checks the same figure against a bound.

    python -P bench/input_memory.py [--mb 100] [--mpm prefork,event] [--module mod_wsgi_ext]

``--module mod_wsgi`` measures mod_wsgi 6 from the same venv instead (pip install mod_wsgi).
Run it with the Python of the environment the module is installed in (as the tests do).
"""
import argparse
import os
import sys

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from functional.server import Apache  # noqa: E402

CONF = "WSGIScriptAlias /mem {root}/apps/hardening/bodymem.wsgi\n"
HOWS = ["read", "read-n", "readline", "readlines"]


def measure(mpm, how, mb, module):
    srv = Apache(CONF, mpm=mpm, processes=1, module=module)
    try:
        srv.start()
        r = requests.post(srv.url("/mem?how=" + how), data=b"x" * (mb << 20), timeout=300)
        r.raise_for_status()
        d = r.json()
        return (d["hwm_after"] - d["rss_before"]) / 1024
    finally:
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--mpm", default="prefork,event")
    ap.add_argument("--module", default="mod_wsgi_ext", choices=["mod_wsgi_ext", "mod_wsgi"])
    args = ap.parse_args()
    print("| module | MPM | method | body MB | peak rise MB | copies |")
    print("|---|---|---|---|---|---|")
    for mpm in args.mpm.split(","):
        for how in HOWS:
            rise = measure(mpm, how, args.mb, args.module)
            print("| %s | %s | %s | %d | %.0f | %.2f |" % (args.module, mpm, how, args.mb, rise,
                                                         rise / args.mb))


if __name__ == "__main__":
    main()

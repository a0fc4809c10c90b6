"""Running wrk and reading its report.

``measure(url, seconds, threads, connections, headers, script)`` runs ``wrk --latency`` and returns a ``Result``
with req/s, p50/p99 latency in microseconds, the request count and ``problems``: a run with
non-2xx/3xx responses or socket errors is invalid (wrk still prints a high req/s for a server
answering 503 to everything).  The wrk process is a child of ours: Ctrl-C reaches it too, and
``measure`` kills it by pid if we are interrupted.
"""

import re
import shutil
import subprocess

WRK = shutil.which("wrk") or "/usr/bin/wrk"

_UNITS = {"us": 1.0, "ms": 1000.0, "s": 1e6, "m": 60e6}


class Result:
    def __init__(self, rps, p50, p99, requests, problems, text):
        self.rps = rps
        self.p50 = p50          # microseconds
        self.p99 = p99
        self.requests = requests
        self.problems = problems
        self.text = text
        self.cpu_us = None      # server CPU time per request, filled in by the caller

    @property
    def valid(self):
        return not self.problems


def _duration_us(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError("cannot read wrk latency %r" % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse(text):
    problems = []
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    rps = float(m.group(1)) if m else 0.0
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    requests = int(m.group(1)) if m else 0
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M))
    p50 = _duration_us(pct["50"]) if "50" in pct else None
    p99 = _duration_us(pct["99"]) if "99" in pct else None
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if m and int(m.group(1)):
        problems.append("%s non-2xx/3xx responses" % m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m and any(int(g) for g in m.groups()):
        problems.append("socket errors: connect %s, read %s, write %s, timeout %s" % m.groups())
    if not requests or p50 is None or p99 is None:
        problems.append("unreadable wrk output")
    return Result(rps, p50, p99, requests, problems, text)


def measure(url, seconds, threads, connections, headers=(), script=None):
    """``headers``: "Name: value" strings for every request; ``script``: a wrk Lua file (the
    POST scenario's method and body)."""
    # a 10 s timeout (wrk's default is 2 s): a slow answer on a busy machine is a slow answer in
    # the latency figures, not a socket error that invalidates the round
    cmd = [WRK, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s",
           "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode:
        return Result(0.0, None, None, 0, ["wrk exited with %d" % proc.returncode], out)
    return parse(out)

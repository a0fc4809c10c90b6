"""The benchmark's outputs: the markdown table, the JSON file of raw figures, the PNG chart.

A *cell* (made by run.py) is one server of one scenario under one MPM, with every round's wrk
figures.  Its summary is the median over the rounds of req/s, p50, p99 and server CPU time per
request; the *spread* is (max - min) / median of its req/s; the ratios divide its median req/s
by mod_wsgi's and by the scenario's reference (the static file, or the static file behind
Apache's own C module doing the same check), from the same sitting.
"""

import datetime
import json
import os
import platform
import statistics
import subprocess

SPREAD_LIMIT = 0.10      # rounds further apart than this are flagged in the table


def fmt_us(us):
    if us is None:
        return "-"
    return "%.0f µs" % us if us < 1000 else "%.2f ms" % (us / 1000)


def require_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit("the chart needs matplotlib in this venv (bench/run installs it: "
                         "pip install -r bench/requirements.txt)")


def summarise(cell):
    """Adds the medians, the spread and validity to a cell (in place)."""
    rounds = cell["rounds"]
    cell["valid"] = bool(rounds) and all(not r["problems"] for r in rounds)
    if not cell["valid"]:
        cell["median"] = None
        return cell
    rps = [r["rps"] for r in rounds]
    med = statistics.median(rps)
    cell["median"] = {
        "rps": med,
        "p50_us": statistics.median(r["p50_us"] for r in rounds),
        "p99_us": statistics.median(r["p99_us"] for r in rounds),
        "cpu_us_per_request": statistics.median(r["cpu_us_per_request"] for r in rounds),
    }
    cell["spread"] = (max(rps) - min(rps)) / med if med else None
    return cell


def add_ratios(cells):
    """ratio_mod_wsgi and ratio_reference on every cell (None where they do not apply)."""
    by = {(c["mpm"], c["scenario"], c["server"]): c for c in cells}
    for c in cells:
        c["ratio_mod_wsgi"] = c["ratio_reference"] = None
        if not c["median"]:
            continue
        other = by.get((c["mpm"], c["scenario"], "mod_wsgi"))
        if c["kind"] == "ours" and other and other["median"]:
            c["ratio_mod_wsgi"] = c["median"]["rps"] / other["median"]["rps"]
        ref = by.get((c["mpm"], c["scenario"], c["reference"])) if c["reference"] else None
        if ref is not None and ref is not c and ref["median"]:
            c["ratio_reference"] = c["median"]["rps"] / ref["median"]["rps"]


def table(cells):
    head = ["MPM", "scenario", "server", "req/s (median)", "req/s per round", "spread", "p50",
            "p99", "server CPU/req", "peak RSS/process", "÷ mod_wsgi", "÷ reference"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in cells:
        per_round = " ".join("%.0f" % r["rps"] if not r["problems"] else "invalid"
                             for r in c["rounds"])
        rss = "%.1f MiB" % (c["peak_rss_kb"] / 1024.0) if c["peak_rss_kb"] else "-"
        ref = c["reference"] or "-"
        if not c["median"]:
            cells_ = [c["mpm"], c["title"], c["server"], "INVALID", per_round, "", "", "", "",
                      rss, "", ""]
        else:
            m = c["median"]
            spread = "%.0f%%" % (100 * c["spread"]) + (" (!)" if c["spread"] > SPREAD_LIMIT
                                                       else "")
            cells_ = [c["mpm"], c["title"], c["server"], "%.0f" % m["rps"], per_round, spread,
                      fmt_us(m["p50_us"]), fmt_us(m["p99_us"]), fmt_us(m["cpu_us_per_request"]),
                      rss,
                      "%.2f" % c["ratio_mod_wsgi"] if c["ratio_mod_wsgi"] else "-",
                      ("%.2f (%s)" % (c["ratio_reference"], ref)) if c["ratio_reference"]
                      else "-"]
        rows.append("| " + " | ".join(cells_) + " |")
    return "\n".join(rows)


def environment(args, baseline_name, root, apache, srvmod, elapsed):
    def out(cmd):
        try:
            return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT,
                                           cwd="/").strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    commit = out(["git", "-C", root, "rev-parse", "--short", "HEAD"])
    if out(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import sys
    versions = out([sys.executable, "-c", "import importlib.metadata as m\nfor p in "
                    "('mod_wsgi', 'Django', 'Flask'):\n  try: print(p, m.version(p))\n"
                    "  except Exception: print(p, '-')"]).replace("\n", ", ")
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "tree": commit,
        "baseline": baseline_name,
        "machine": "%s, %d CPUs, Linux %s" % (cpu, os.cpu_count(), platform.release()),
        "load_average_at_end": "%.2f %.2f %.2f" % os.getloadavg(),
        "apache": out([apache, "-v"]).splitlines()[0],
        "python": platform.python_version(),
        "packages": versions,
        "wrk": "-t%d -c%d --latency, %d s per measurement after %d s warm-up, %d rounds "
               "interleaved" % (args.threads, args.connections, args.seconds, args.warmup,
                                args.rounds),
        "servers": "prefork: %d processes; event: %d processes x %d threads; LogLevel warn, no "
                   "access log, keep-alive unlimited; application group %%{%s}"
                   % (srvmod.PREFORK_PROCESSES, srvmod.EVENT_PROCESSES, srvmod.EVENT_THREADS,
                      args.group),
        "elapsed_s": round(elapsed),
    }


def chart(path, cells, env):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mpms = sorted({c["mpm"] for c in cells}, key=["prefork", "event"].index)
    titles = []
    for c in cells:
        if c["title"] not in titles:
            titles.append(c["title"])
    panels = [("ratio_mod_wsgi", "mod_wsgi_ext ÷ mod_wsgi 6 (req/s)", 1.6),
              ("ratio_reference", "÷ Apache alone (static file / C auth module)", 0.8)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 8), constrained_layout=True)
    width = 0.8 / (2 * len(mpms))
    colours = {"prefork": "#1f77b4", "event": "#ff7f0e"}
    for ax, (key, label, target) in zip(axes, panels):
        for i, mpm in enumerate(mpms):
            for j, kind in enumerate(("ours", "mod_wsgi")):
                if key == "ratio_mod_wsgi" and kind == "mod_wsgi":
                    continue
                xs, ys = [], []
                for x, t in enumerate(titles):
                    c = next((c for c in cells if c["mpm"] == mpm and c["title"] == t
                              and c["kind"] == kind and c[key]), None)
                    if c:
                        xs.append(x + (i * 2 + j - len(mpms) + 0.5) * width)
                        ys.append(c[key])
                name = "%s, %s" % ("mod_wsgi_ext" if kind == "ours" else "mod_wsgi", mpm)
                ax.bar(xs, ys, width, label=name, color=colours[mpm],
                       alpha=1.0 if kind == "ours" else 0.4)
                for x, y in zip(xs, ys):
                    ax.text(x, y, "%.2f" % y, ha="center", va="bottom", fontsize=7)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(target, color="green", linestyle="--", linewidth=0.8,
                   label="issue 8 target %.1f" % target)
        ax.set_xticks(range(len(titles)))
        ax.set_xticklabels(titles, rotation=15, fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.legend(fontsize=7, ncol=3)
    fig.suptitle("mod_wsgi_ext benchmark %s (tree %s; load average at end %s)"
                 % (env["date"], env["tree"], env["load_average_at_end"]), fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(env, cells, png_name):
    lines = ["# mod_wsgi_ext benchmark", ""]
    for key in ("date", "tree", "baseline", "machine", "load_average_at_end", "apache", "python",
                "packages", "wrk", "servers", "elapsed_s"):
        if env.get(key) is not None:
            lines.append("- %s: %s" % (key.replace("_", " "), env[key]))
    lines += ["", table(cells), "",
              "spread: (max - min) / median of the rounds' req/s, (!) above %d%%; ÷ reference: "
              "req/s divided by the scenario's Apache-only server named in brackets."
              % (100 * SPREAD_LIMIT), "", "![ratios](%s)" % png_name, ""]
    return "\n".join(lines)


def write(stem, env, cells):
    """Writes stem.md, stem.json and stem.png; returns their paths."""
    for c in cells:
        summarise(c)
    add_ratios(cells)
    md, js, png = stem + ".md", stem + ".json", stem + ".png"
    chart(png, cells, env)
    with open(md, "w") as f:
        f.write(markdown(env, cells, os.path.basename(png)))
    with open(js, "w") as f:
        json.dump({"environment": env, "cells": cells}, f, indent=1)
    return md, js, png

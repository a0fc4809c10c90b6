"""bench/run works: the one benchmark command, on its smallest setting, with this tree's module.

``bench/run --no-setup --quick --mpm prefork --scenarios hello`` in the test environment (which
has mod_wsgi, wrk and matplotlib) starts a static-file Apache, one with mod_wsgi 6 and one with
mod_wsgi_ext, checks each answers hello world, measures them three rounds of a second each, and
writes the table, the JSON of raw figures and the chart.  No speed is asserted: only that every
figure is there and read from real responses.
"""
import json
import os
import re
import subprocess
import sys

from functional.conftest import ROOT


def test_bench_run_quick_smallest_setting(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, BENCH_VENV=sys.prefix)
    proc = subprocess.run([os.path.join(ROOT, "bench", "run"), "--no-setup", "--quick",
                           "--mpm", "prefork", "--scenarios", "hello", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = sorted(os.listdir(out))
    stems = {os.path.splitext(n)[0] for n in names}
    assert len(stems) == 1 and sorted(os.path.splitext(n)[1] for n in names) == [
        ".json", ".md", ".png"], names
    stem = str(out / stems.pop())

    with open(stem + ".json") as f:
        data = json.load(f)
    cells = data["cells"]
    assert [(c["mpm"], c["scenario"], c["server"]) for c in cells] == [
        ("prefork", "hello", "static file"), ("prefork", "hello", "mod_wsgi"),
        ("prefork", "hello", "ours")]
    for c in cells:
        assert len(c["rounds"]) == 3
        for r in c["rounds"]:
            assert r["problems"] == [] and r["requests"] > 0 and r["rps"] > 0
            assert 0 < r["p50_us"] <= r["p99_us"]
            assert r["cpu_us_per_request"] > 0
        assert c["peak_rss_kb"] > 0
        assert c["median"]["rps"] > 0
    ours = cells[2]
    assert ours["ratio_mod_wsgi"] == ours["median"]["rps"] / cells[1]["median"]["rps"]
    assert ours["ratio_reference"] == ours["median"]["rps"] / cells[0]["median"]["rps"]
    assert data["environment"]["packages"].startswith("mod_wsgi 6.")

    with open(stem + ".md") as f:
        md = f.read()
    rows = [ln for ln in md.splitlines() if ln.startswith("| prefork | hello world |")]
    assert len(rows) == 3, md
    assert re.match(r"\| prefork \| hello world \| ours \| \d+ \| \d+ \d+ \d+ \| \d+%", rows[2])
    assert "![ratios](%s.png)" % os.path.basename(stem) in md
    with open(stem + ".png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

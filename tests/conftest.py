"""Shared pytest set-up.

* Before collection, the module is built from this tree and installed into the running Python's
  environment (``pip install --no-build-isolation .``), so unit tests import the current code and
  functional tests load the current Apache module.  ``WX_SKIP_BUILD=1`` skips that.
* The error log of every Apache a failing test used is attached to its report.
* Under CI (``CI`` set, as ``.ci/run`` runs), a skipped test counts as a failure.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_sessionstart(session):
    if os.environ.get("WX_SKIP_BUILD") == "1":
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-build-isolation", "--no-deps", "--force-reinstall", ROOT], check=True,
                   stdout=subprocess.DEVNULL)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and os.environ.get("CI") and not hasattr(rep, "wasxfail"):
        # CI installs everything (scripts/bootstrap, requirements-test.txt): a skip there would
        # hide a missing dependency, and with it something an issue asks to be shown
        rep.outcome = "failed"
        rep.longrepr = "skipped in CI, where nothing may be skipped: %s" % (rep.longrepr,)
        return
    if rep.failed:
        try:
            from functional.server import Apache
        except ImportError:
            return
        for srv in list(Apache.live) + list(getattr(item, "_wx_servers", [])):
            rep.sections.append(("Apache error log (%s, port %d)" % (srv.root, srv.port),
                                 srv.output()[-20000:]))

"""Shared pytest set-up: the error log of every Apache a failing test used is attached to it."""
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        try:
            from functional.server import Apache
        except ImportError:
            return
        for srv in list(Apache.live) + list(getattr(item, "_wx_servers", [])):
            rep.sections.append(("Apache error log (%s, port %d)" % (srv.root, srv.port),
                                 srv.output()[-20000:]))

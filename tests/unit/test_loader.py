"""mod_wsgi_ext/runtime/loader.py: scripts as modules, errors that name script and reason, reload."""
import os
import sys

import pytest

APP = """
count = 0
def application(environ, start_response):
    global count
    count += 1
    return [b"%s"]
def other(environ, start_response):
    return [b"other"]
"""


def script(tmp_path, text, name="app.wsgi", mtime=None):
    path = tmp_path / name
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(path)


def call(app):
    return app({}, None)


def test_loads_the_callable_once_and_keeps_module_state(loader, tmp_path):
    path = script(tmp_path, APP % "v1")
    app = loader.load_application(path, "application")
    assert call(app) == [b"v1"]
    assert loader.load_application(path, "application") is app
    call(app)
    module = sys.modules[loader.module_name(path)]
    assert module.count == 2 and module.__file__ == path


def test_other_callable_name(loader, tmp_path):
    path = script(tmp_path, APP % "v1")
    assert call(loader.load_application(path, "other")) == [b"other"]


def test_changed_script_is_reloaded_when_reloading_is_on(loader, tmp_path):
    path = script(tmp_path, APP % "v1", mtime=1_000_000)
    first = loader.load_application(path, "application", reloading=True)
    script(tmp_path, APP % "v2", mtime=2_000_000)
    second = loader.load_application(path, "application", reloading=True)
    assert (call(first), call(second)) == ([b"v1"], [b"v2"])
    assert sys.modules[loader.module_name(path)].count == 1      # a fresh module


def test_changed_script_is_kept_when_reloading_is_off(loader, tmp_path):
    path = script(tmp_path, APP % "v1", mtime=1_000_000)
    first = loader.load_application(path, "application", reloading=False)
    script(tmp_path, APP % "v2", mtime=2_000_000)
    assert loader.load_application(path, "application", reloading=False) is first


def test_loaded_script_is_not_looked_at_again_when_reloading_is_off(loader, tmp_path):
    # as mod_wsgi: with reloading off the file is not checked per request (no stat): a loaded
    # script keeps serving even once its file is gone
    path = script(tmp_path, APP % "v1")
    first = loader.load_application(path, "application", reloading=False)
    os.unlink(path)
    assert loader.load_application(path, "application", reloading=False) is first
    with pytest.raises(loader.LoadError):
        loader.load_application(path, "application", reloading=True)


@pytest.mark.parametrize("text,reason", [
    ("def application(environ, start_response)\n    return []\n", "SyntaxError"),
    ("import no_such_module_for_loader_test\n",
     "ModuleNotFoundError: No module named 'no_such_module_for_loader_test'"),
    ("raise ImportError('custom reason')\n", "ImportError: custom reason"),
    ("raise SystemExit(2)\n", "SystemExit: 2"),
])
def test_failing_script_names_script_and_reason(loader, tmp_path, text, reason):
    path = script(tmp_path, text)
    with pytest.raises(loader.LoadError) as exc:
        loader.load_application(path, "application")
    err = exc.value
    assert "\n" not in err.message
    assert path in err.message and reason in err.message
    assert "Traceback (most recent call last)" in err.detail
    assert loader.module_name(path) not in sys.modules


def test_failing_script_is_retried_and_can_recover(loader, tmp_path):
    path = script(tmp_path, "raise RuntimeError('not yet')\n", mtime=1_000_000)
    with pytest.raises(loader.LoadError):
        loader.load_application(path, "application")
    with pytest.raises(loader.LoadError):
        loader.load_application(path, "application")       # not cached: tried again
    script(tmp_path, APP % "fixed", mtime=2_000_000)
    assert call(loader.load_application(path, "application")) == [b"fixed"]


def test_failed_reload_keeps_the_old_module_registered(loader, tmp_path):
    path = script(tmp_path, APP % "v1", mtime=1_000_000)
    app = loader.load_application(path, "application")
    old = sys.modules[loader.module_name(path)]
    script(tmp_path, "raise RuntimeError('broken edit')\n", mtime=2_000_000)
    with pytest.raises(loader.LoadError):
        loader.load_application(path, "application")
    assert sys.modules[loader.module_name(path)] is old
    assert call(app) == [b"v1"]


def test_missing_callable(loader, tmp_path):
    path = script(tmp_path, "x = 1\n")
    with pytest.raises(loader.LoadError) as exc:
        loader.load_application(path, "application")
    assert exc.value.message == ("Target WSGI script '%s' does not contain WSGI application "
                                 "'application'." % path)


def test_missing_script(loader, tmp_path):
    path = str(tmp_path / "absent.wsgi")
    with pytest.raises(loader.LoadError) as exc:
        loader.load_application(path, "application")
    assert path in exc.value.message and "No such file" in exc.value.message


def test_module_names_differ_per_path(loader):
    a, b = loader.module_name("/a/app.wsgi"), loader.module_name("/b/app.wsgi")
    assert a != b and a.startswith("_mod_wsgi_ext_") and a.isidentifier()


def test_hint_for_an_extension_refusing_a_sub_interpreter(loader, tmp_path):
    path = script(tmp_path, "raise ImportError('module does not support loading in "
                            "subinterpreters', path='/x/ext.cpython-311-x86_64-linux-gnu.so')\n")
    with pytest.raises(loader.LoadError) as exc:
        loader.load_application(path, "application", group="host|/app")
    assert "WSGIApplicationGroup %{GLOBAL}" in exc.value.message
    with pytest.raises(loader.LoadError) as exc:
        loader.load_application(path, "application", group="")       # already the main one
    assert "GLOBAL" not in exc.value.message

"""runtime/dispatch.py: what a WSGIDispatchScript's functions answer, and its failures."""
import pytest

from mod_wsgi_ext.runtime import dispatch


@pytest.fixture
def script(tmp_path):
    def write(text):
        path = tmp_path / ("d%d.py" % len(list(tmp_path.iterdir())))
        path.write_text(text)
        return str(path)
    return write


def run(path):
    logged = []
    result = dispatch.resolve(lambda level, text: logged.append(text), {"SCRIPT_NAME": "/a"},
                              path)
    return result, logged


def test_all_three_functions(script):
    path = script("def process_group(e):\n    return ''\n"
                  "def application_group(e):\n    return 'g:' + e['SCRIPT_NAME']\n"
                  "def callable_object(e):\n    return b'app'\n")
    assert run(path) == (("", "g:/a", "app"), [])


def test_missing_functions_and_none_keep_the_configured_values(script):
    path = script("def application_group(e):\n    return None\n")
    assert run(path) == ((None, None, None), [])


@pytest.mark.parametrize("body,what", [
    ("def application_group(e):\n    return 42\n", "must return str, bytes or None, not int"),
    ("def callable_object(e):\n    raise KeyError('boom')\n", "KeyError: 'boom'"),
    ("def process_group(e):\n    return '\\u20ac'\n", "UnicodeEncodeError"),
    ("syntax error here\n", "SyntaxError"),
])
def test_failures_are_logged_and_answer_none(script, body, what):
    result, logged = run(script(body))
    assert result is None
    assert any(what in line for line in logged), logged

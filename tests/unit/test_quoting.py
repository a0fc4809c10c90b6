"""quoting.conf_quote: what reaches httpd.conf (the functional tests in test_cli_security.py show
Apache reading it back); sh_join: what is printed for copy-paste."""
import shlex
import subprocess

import pytest

from mod_wsgi_ext.quoting import DOLLAR_DEFINE, conf_dir_quote, conf_quote, sh_join
from mod_wsgi_ext.serverroot import UserError


@pytest.mark.parametrize("value, written", [
    ("/srv/plain", '"/srv/plain"'),
    ("with space", '"with space"'),
    ("/srv/${HOME}", '"/srv/${wx_dollar}{HOME}"'),
])
def test_conf_quote(value, written):
    assert conf_quote(value, "x") == written


def test_conf_quote_escapes_exactly():
    assert conf_quote('a"b', "x") == r'"a\"b"'
    assert conf_quote("a\\", "x") == r'"a\\"'
    assert conf_quote("$(x)`y`", "x") == '"${wx_dollar}(x)`y`"'
    assert DOLLAR_DEFINE == "Define wx_dollar $"


@pytest.mark.parametrize("value, reason", [
    ("a\nb", "a line break"), ("a\rb", "a carriage return"), ("a\x00b", "a NUL character"),
    ("a\x1bb", "control character"), ("x" * 3000, "longer than"),
    ("caf\udce9", "not valid UTF-8"),
])
def test_conf_quote_refuses(value, reason):
    with pytest.raises(UserError) as e:
        conf_quote(value, "--server-root")
    assert reason in str(e.value) and str(e.value).startswith("mod_wsgi_ext: --server-root ")
    assert "\n" not in str(e.value)


def test_dir_quote_refuses_wildcards():
    with pytest.raises(UserError, match="wildcard"):
        conf_dir_quote("/srv/a*b", "x")
    assert conf_dir_quote("/srv/ab", "x") == '"/srv/ab"'


def test_sh_join_round_trips_through_a_shell():
    words = ["/srv/x$(touch PWNED)", "a'b", "`id`", "sp ace", "start"]
    assert shlex.split(sh_join(words)) == words
    out = subprocess.run(["sh", "-c", "printf '%s\\n' " + sh_join(words)], capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines() == words

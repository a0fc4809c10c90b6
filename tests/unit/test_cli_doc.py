"""docs/cli.md lists every option of `serve`/`setup-server` (each with its mod_wsgi-express
equivalent column), and `--help` shows each one with its help text."""
import argparse
import os
import re

from mod_wsgi_ext import cli

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "docs", "cli.md")


def server_options():
    parser = cli._parser()
    sub = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]
    serve, setup = sub.choices["serve"], sub.choices["setup-server"]
    names = lambda p: {s for a in p._actions for s in a.option_strings}
    assert names(serve) == names(setup)
    return [a for a in serve._actions if a.option_strings]


def test_every_option_is_in_the_docs_table_with_an_express_column():
    with open(DOC) as f:
        rows = [line for line in f if line.startswith("| `")]
    for action in server_options():
        for name in action.option_strings:
            if name == "-h":
                continue
            row = [r for r in rows if re.search(r"`%s[ `,\\]" % re.escape(name), r)]
            assert row, "%s is not in docs/cli.md" % name
            assert row[0].rstrip().endswith("|") and row[0].count("|") >= 4, row[0]


def test_every_option_has_help():
    for action in server_options():
        assert action.help, action.option_strings

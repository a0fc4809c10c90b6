"""docs/directives.md is generated from the directive registry and must not drift from it."""
import difflib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "directives.md")
REGENERATE = "python -m mod_wsgi_ext.config.docs > docs/directives.md"


def generated():
    # run from the tree (cwd on sys.path, no -P) so the tree's registry is rendered, not an
    # installed copy of the package
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    p = subprocess.run([sys.executable, "-m", "mod_wsgi_ext.config.docs"], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_directives_doc_is_up_to_date():
    text = generated()
    with open(DOC) as f:
        committed = f.read()
    if committed != text:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                            "docs/directives.md (committed)", "generated", n=1))
        raise AssertionError("docs/directives.md is stale; regenerate it from the project root "
                             "with:\n    %s\n\n%s" % (REGENERATE, diff[:4000]))


def test_every_directive_is_documented():
    text = generated()
    sys.path.insert(0, os.path.join(ROOT, "mod_wsgi_ext", "_build"))
    try:
        import gen_directives
    finally:
        sys.path.pop(0)
    reg = gen_directives.load_registry()
    for d in reg.DIRECTIVES:
        if d.kind == reg.COMPAT:
            assert "| `%s" % d.name in text, d.name
        else:
            assert "### %s\n" % d.name in text, d.name
            assert "| Context | %s |" % reg.context_words(d.contexts) in text
            for option, _ in d.options:
                assert "`%s=...`" % option in text
    compat = text.index("## Accepted for mod_wsgi compatibility")
    assert "### WSGIDaemonProcess\n" in text[:compat]
    assert "### WSGIScriptAlias\n" in text[:compat]

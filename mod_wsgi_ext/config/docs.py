"""Render docs/directives.md from the directive registry (mod_wsgi_ext/config/registry.py).

``python -m mod_wsgi_ext.config.docs > docs/directives.md`` regenerates the page; a unit test
(tests/unit/test_directives_doc.py) fails when the committed page differs from what this prints.
Nothing here knows about any particular directive: syntax, default, contexts, options and the
description all come from the registry entries.
"""

import sys

from mod_wsgi_ext.config import registry

HEADER = """\
# Configuration directives

<!-- Generated from mod_wsgi_ext/config/registry.py by
     `python -m mod_wsgi_ext.config.docs > docs/directives.md`: edit the registry, not this file. -->

mod_wsgi_ext reads mod_wsgi's directives. Each entry gives the syntax, the default, and the
**context** in Apache's words: *server config* (the main server, outside any section), *virtual
host* (inside `<VirtualHost>`), *directory* (inside `<Directory>`, `<Location>`, `<Files>` and
their `Match` forms), *.htaccess* (in `.htaccess` files, where `AllowOverride` grants the
**override** class shown). A directive used where it does not belong, or with a value it does not
take, stops `apachectl configtest` (`apache2 -t`) with the file, the line and what was expected.
"""

COMPAT_INTRO = """\
## Accepted for mod_wsgi compatibility

These mod_wsgi directives are accepted, whatever their arguments, so that an existing mod_wsgi
configuration starts unchanged; they have no effect yet. Each one used logs one warning at
start-up naming it: `mod_wsgi_ext: NAME is accepted for mod_wsgi compatibility; no effect`.
"""


def _cell(text):
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _code(text):
    return "`%s`" % _cell(text)


def _anchor(name):
    return name.lower().strip("<>")


def _option_rows(reg, d):
    required = set(d.required_options)
    rows = ["| option | value | meaning |", "|---|---|---|"]
    for name, kind in d.options:
        value = reg.KIND_VALUES.get(kind, kind)
        meaning = reg.OPTION_DOCS.get(name, "")
        if name in required:
            meaning = "**required**; " + meaning
        rows.append("| %s | %s | %s |" % (_code(name + "=..."), _cell(value), _cell(meaning)))
    return rows


def _directive(reg, d):
    out = ["### %s" % d.name, "",
           "| | |", "|---|---|",
           "| Syntax | %s |" % _code(d.syntax),
           "| Default | %s |" % (_code(d.default) if d.default != "none" else "none"),
           "| Context | %s |" % reg.context_words(d.contexts)]
    override = reg.override_words(d.contexts)
    if override:
        out.append("| Override | %s (in .htaccess: `AllowOverride %s`) |"
                   % (override, override.replace(" or ", "` or `AllowOverride ")))
    out += ["", d.doc, ""]
    if d.options:
        out += ["Options:", ""] + _option_rows(reg, d) + [""]
    return out


def render(reg=registry):
    """The whole page as one string."""
    active = [d for d in reg.DIRECTIVES if d.kind != reg.COMPAT]
    compat = [d for d in reg.DIRECTIVES if d.kind == reg.COMPAT]
    out = [HEADER, "## Directives", ""]
    out += ["- [%s](#%s)" % (d.name, _anchor(d.name)) for d in active]
    out += ["- [Accepted for mod_wsgi compatibility](#accepted-for-mod_wsgi-compatibility)", ""]
    for d in active:
        out += _directive(reg, d)
    out += [COMPAT_INTRO, "| directive | context | override |", "|---|---|---|"]
    for d in compat:
        out.append("| %s | %s | %s |" % (_code(d.syntax), reg.context_words(d.contexts),
                                          reg.override_words(d.contexts) or ""))
    out.append("")
    return "\n".join(out)


def main():
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Quoting: the one way every value reaches the generated httpd.conf, apachectl and the command
lines printed for copy-paste.

Apache's configuration reader does three things to a line before a directive sees its words:
it joins a line ending in ``\\`` with the next, replaces ``${NAME}`` by a ``Define``d or
environment variable (anywhere on the line, quotes or not, in one pass), and then splits words,
where inside ``"..."`` only ``\\"`` and ``\\\\`` are escapes. So :func:`conf_quote`:

* refuses what no quoting carries: a line break, NUL, other control characters, and over-long
  values — with one line naming the option and the reason;
* writes ``"`` as ``\\"`` and ``\\`` as ``\\\\``;
* writes ``$`` as ``${wx_dollar}``, a variable the configuration ``Define``s as ``$``
  (:data:`DOLLAR_DEFINE`, first line of every generated file): Apache substitutes it once and does
  not rescan, so a folder named ``${APACHE_LOCK_DIR}`` stays that literal text.

:func:`sh_quote` is ``shlex.quote`` (for apachectl and printed commands).
"""

import re
import shlex

from mod_wsgi_ext.serverroot import UserError

DOLLAR_DEFINE = "Define wx_dollar $"
MAX_VALUE = 2048
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NAMES = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL character"}
_WILDCARD = re.compile(r"[*?\[\]]")


def _refuse(what, value, reason):
    raise UserError("mod_wsgi_ext: %s %r: %s" % (what, value, reason))


def conf_quote(value, what):
    """`value` as one quoted word of an Apache configuration line; `what` names the option (or
    file) the value came from, for the refusal message."""
    value = str(value)
    m = _CONTROL.search(value)
    if m:
        _refuse(what, value, "holds %s, which an Apache configuration cannot carry; rename it or "
                "choose another" % _NAMES.get(m.group(), "the control character %r" % m.group()))
    try:
        length = len(value.encode("utf-8"))
    except UnicodeError:
        # a file name in another encoding: Apache would carry it, the module's script loader
        # does not (it decodes paths as UTF-8), so say so now rather than a 500 later
        _refuse(what, value, "is not valid UTF-8; rename it")
    if length > MAX_VALUE:
        _refuse(what, value[:60] + "...", "is longer than %d bytes, more than an Apache "
                "configuration line safely carries" % MAX_VALUE)
    return '"%s"' % (value.replace("\\", "\\\\").replace('"', '\\"')
                     .replace("$", "${wx_dollar}"))


def conf_dir_quote(path, what):
    """A path for ``<Directory ...>``, ``<Files ...>`` or ``Include``: Apache reads ``* ? [ ]``
    there as wildcards, so they are refused rather than granting access to (or including) more
    than the one path."""
    if _WILDCARD.search(str(path)):
        _refuse(what, path, "holds * ? [ or ], which Apache reads as a wildcard there; rename "
                "it")
    return conf_quote(path, what)


def sh_quote(value):
    return shlex.quote(str(value))


def sh_join(words):
    """A command line to print for copy-paste."""
    return " ".join(sh_quote(w) for w in words)

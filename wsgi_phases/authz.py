"""Apache 2.4's authorization logic (mod_authz_core), for ``wsgi_phases.testing``.

``RequireAny(...)`` and ``RequireAll(...)`` nest like ``<RequireAny>``/``<RequireAll>``; a line is
a ``Require`` line's text without the word ``Require`` (``"valid-user"``, ``"user alice bob"``,
``"all granted"``, ``"all denied"``, ``"wsgi-phase staff a b"``, ``"wsgi-group admins"``, and
``"not ..."`` inside ``RequireAll``).  A plain sequence of lines is the implicit ``<RequireAny>``
of several ``Require`` lines in one section.  ``evaluate`` combines the answers as
mod_authz_core's ``apply_authz_sections`` does; the providers are asked through ``ask(kind,
args)``.
"""

import shlex

from .results import (AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR,
                      AUTHZ_DENIED_NO_USER)


class _Section:
    op = None

    def __init__(self, *lines):
        self.lines = [as_section(line) for line in lines]

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(map(repr, self.lines)))


class RequireAny(_Section):
    op = "or"


class RequireAll(_Section):
    op = "and"


class Line:
    def __init__(self, text):
        words = shlex.split(text)
        self.negate = bool(words) and words[0].lower() == "not"
        if self.negate:
            words = words[1:]
        if not words:
            raise ValueError("empty Require line: %r" % (text,))
        self.kind, self.args = words[0].lower(), words[1:]
        self.text = text

    def __repr__(self):
        return repr(self.text)


def as_section(item):
    if isinstance(item, (_Section, Line)):
        return item
    if isinstance(item, str):
        return Line(item)
    return RequireAny(*item)


def _apply(section, ask, parent_op):
    if isinstance(section, Line):
        result = ask(section.kind, section.args)
        if section.negate:
            if result == AUTHZ_GRANTED:
                result = AUTHZ_DENIED
            elif result in (AUTHZ_DENIED, AUTHZ_DENIED_NO_USER):
                result = AUTHZ_NEUTRAL
        return result
    result = AUTHZ_NEUTRAL
    for child in section.lines:
        child_result = _apply(child, ask, section.op)
        if child_result == AUTHZ_GENERAL_ERROR:
            return child_result
        if child_result == AUTHZ_NEUTRAL:
            continue
        if section.op == "and":
            if child_result == AUTHZ_DENIED:
                return child_result
            if (child_result == AUTHZ_DENIED_NO_USER and result != AUTHZ_DENIED) \
                    or result == AUTHZ_NEUTRAL:
                result = child_result
        else:
            if child_result == AUTHZ_GRANTED:
                return child_result
            if (child_result == AUTHZ_DENIED_NO_USER and result == AUTHZ_DENIED) \
                    or result == AUTHZ_NEUTRAL:
                result = child_result
    return result


def evaluate(require, ask):
    """The authz status of ``require`` (a section or a sequence of lines)."""
    return _apply(as_section(require), ask, "and")

"""wsgi_phases.authz: mod_authz_core's way of combining Require lines."""
from wsgi_phases.authz import RequireAll, RequireAny, evaluate
from wsgi_phases.results import (AUTHZ_DENIED, AUTHZ_GRANTED, AUTHZ_NEUTRAL, AUTHZ_GENERAL_ERROR,
                                 AUTHZ_DENIED_NO_USER)

ANSWERS = {"g": AUTHZ_GRANTED, "d": AUTHZ_DENIED, "n": AUTHZ_NEUTRAL, "e": AUTHZ_GENERAL_ERROR,
           "u": AUTHZ_DENIED_NO_USER}


def ask(kind, args):
    return ANSWERS[kind]


def test_any_and_all():
    assert evaluate(["d", "g"], ask) == AUTHZ_GRANTED
    assert evaluate(["d", "u"], ask) == AUTHZ_DENIED_NO_USER
    assert evaluate(["n"], ask) == AUTHZ_NEUTRAL
    assert evaluate(RequireAll("g", "u"), ask) == AUTHZ_DENIED_NO_USER
    assert evaluate(RequireAll("u", "d"), ask) == AUTHZ_DENIED
    assert evaluate(RequireAll("n", "g"), ask) == AUTHZ_GRANTED
    assert evaluate(RequireAny("g", "e"), ask) == AUTHZ_GRANTED
    assert evaluate(RequireAny("e", "g"), ask) == AUTHZ_GENERAL_ERROR


def test_nesting_and_not():
    rules = RequireAll(RequireAny("d", "g"), "not d")
    assert evaluate(rules, ask) == AUTHZ_GRANTED
    assert evaluate(RequireAll("g", "not g"), ask) == AUTHZ_DENIED


def test_arguments_are_words():
    seen = []
    evaluate(["wsgi-phase tenant acme 'two words'"], lambda k, a: seen.append((k, a)) or 1)
    assert seen == [("wsgi-phase", ["tenant", "acme", "two words"])]

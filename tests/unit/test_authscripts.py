"""mod_wsgi_ext.runtime.authscripts without Apache: the meaning of every return value of the four
auth callables, with a fake request handle.  (tests/functional/test_auth_differential.py shows
the same answers through a real Apache, next to mod_wsgi 6.)
"""
import pytest

from mod_wsgi_ext.runtime import authscripts as a

SCRIPT = '''
import hashlib
ANSWER = {answer}

def check_password(environ, user, password):
    environ["seen"].append(sorted(environ))
    return ANSWER() if callable(ANSWER) else ANSWER

def get_realm_hash(environ, user, realm):
    return ANSWER() if callable(ANSWER) else ANSWER

def groups_for_user(environ, user):
    return ANSWER() if callable(ANSWER) else ANSWER

def allow_access(environ, host):
    return ANSWER() if callable(ANSWER) else ANSWER
'''


class FakeAuth:
    def __init__(self):
        self.lines = []

    def log(self, level, text):
        self.lines.append(text)

    def ssl_is_https(self):
        return 0

    def ssl_var_lookup(self, name):
        return None

    def flush(self):
        self.flushes = getattr(self, "flushes", 0) + 1

    @property
    def text(self):
        return "\n".join(self.lines)


@pytest.fixture
def call(tmp_path):
    counter = [0]

    def run(func, answer, *args):
        counter[0] += 1
        path = tmp_path / ("script%d.py" % counter[0])
        path.write_text(SCRIPT.format(answer=answer))
        auth = FakeAuth()
        environ = {"seen": [], "REQUEST_URI": "/x"}
        result = getattr(a, func)(auth, environ, str(path), True, "", -1, *args)
        return result, auth, environ
    return run


@pytest.mark.parametrize("answer, expect", [
    ("None", (a.AUTH_USER_NOT_FOUND, None)),
    ("True", (a.AUTH_GRANTED, None)),
    ("False", (a.AUTH_DENIED, None)),
    ("'renamed'", (a.AUTH_GRANTED, b"renamed")),
    ("'zo\\u00eb'", (a.AUTH_GRANTED, "zo\u00eb".encode("utf-8"))),
    ("''", (a.AUTH_GENERAL_ERROR, None)),
    ("1", (a.AUTH_GENERAL_ERROR, None)),
    ("b'renamed'", (a.AUTH_GENERAL_ERROR, None)),
    ("lambda: 1 / 0", (a.AUTH_GENERAL_ERROR, None)),
])
def test_check_password_answers(call, answer, expect):
    result, auth, environ = call("check_password", answer, "alice", "pw")
    assert result == expect
    if expect[0] == a.AUTH_GENERAL_ERROR:
        assert auth.lines, "an error must be logged"


def test_check_password_environ_gains_the_version_and_errors_are_flushed(call):
    # C puts wsgi.errors (the auth handle itself) and the mod_ssl look-ups in the environ;
    # test_auth_differential.py compares the whole environ with mod_wsgi's
    _, auth, environ = call("check_password", "True", "alice", "pw")
    keys = environ["seen"][0]
    assert "mod_wsgi.version" in keys and "wsgi.input" not in keys
    assert auth.flushes == 1 and auth.lines == []


def test_exception_traceback_starts_in_the_script(call):
    result, auth, _ = call("check_password", "lambda: 1 / 0", "alice", "pw")
    assert result == (a.AUTH_GENERAL_ERROR, None)
    assert "Traceback (most recent call last):" in auth.text
    assert "ZeroDivisionError" in auth.text
    assert "authscripts.py" not in auth.text     # our own frame is left out
    assert "in check_password" in auth.text


@pytest.mark.parametrize("answer, expect", [
    ("None", (a.AUTH_USER_NOT_FOUND, None)),
    ("'0123abcd'", (a.AUTH_USER_FOUND, b"0123abcd")),
    ("b'0123abcd'", (a.AUTH_USER_FOUND, b"0123abcd")),
    ("''", (a.AUTH_GENERAL_ERROR, None)),
    ("b''", (a.AUTH_GENERAL_ERROR, None)),
    ("'\\u0101'", (a.AUTH_GENERAL_ERROR, None)),
    ("5", (a.AUTH_GENERAL_ERROR, None)),
    ("lambda: 1 / 0", (a.AUTH_GENERAL_ERROR, None)),
])
def test_get_realm_hash_answers(call, answer, expect):
    result, auth, _ = call("get_realm_hash", answer, "alice", "realm")
    assert result == expect


@pytest.mark.parametrize("answer, required, granted", [
    ("['staff']", [b"staff"], True),
    ("[b'admins']", [b"staff", b"admins"], True),
    ("('Staff',)", [b"staff"], True),            # ASCII case does not matter
    ("['staff']", [b"STAFF"], True),
    ("{'other'}", [b"staff"], False),
    ("[]", [b"staff"], False),
    ("5", [b"staff"], False),
    ("[1]", [b"staff"], False),
    ("['\\u0100']", [b"staff"], False),
    ("'sa'", [b"s"], True),                      # a str is an iterable of one-letter names
    ("lambda: 1 / 0", [b"staff"], None),         # an exception: a 500 (general error)
])
def test_groups_for_user_answers(call, answer, required, granted):
    result, auth, _ = call("groups_for_user", answer, "alice", required)
    expect = {True: a.AUTHZ_GRANTED, False: a.AUTHZ_DENIED, None: a.AUTHZ_GENERAL_ERROR}[granted]
    assert result == (expect, None)
    if not granted:
        assert auth.lines


def test_an_iterator_that_fails_is_an_error_even_after_a_match(tmp_path):
    path = tmp_path / "gen.py"
    path.write_text("def groups_for_user(environ, user):\n"
                    "    yield 'staff'\n"
                    "    raise RuntimeError('iterator failed')\n")
    auth = FakeAuth()
    result = a.groups_for_user(auth, {}, str(path), True, "", -1, "alice", [b"staff"])
    assert result == (a.AUTHZ_GENERAL_ERROR, None)
    assert "RuntimeError: iterator failed" in auth.text


@pytest.mark.parametrize("answer, expect", [
    ("True", a.ALLOW), ("False", a.FORBID), ("None", a.NO_OPINION),
    ("1", a.FORBID), ("'yes'", a.FORBID), ("lambda: 1 / 0", a.ERROR),
])
def test_allow_access_answers(call, answer, expect):
    result, _, _ = call("allow_access", answer, "127.0.0.1")
    assert result == (expect, None)


def test_missing_function_and_broken_script(tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    broken = tmp_path / "broken.py"
    broken.write_text("def check_password(\n")
    for path in (empty, broken):
        auth = FakeAuth()
        assert a.check_password(auth, {}, str(path), True, "", -1, "u", "p") == (
            a.AUTH_GENERAL_ERROR, None)
        assert a.get_realm_hash(auth, {}, str(path), True, "", -1, "u", "r") == (
            a.AUTH_GENERAL_ERROR, None)
        assert a.groups_for_user(auth, {}, str(path), True, "", -1, "u", [b"g"]) == (
            a.AUTHZ_DENIED, None)
        assert a.allow_access(auth, {}, str(path), True, "", -1, "h") == (a.FORBID, None)
        assert str(path) in auth.text

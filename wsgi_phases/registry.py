"""``Phases``: the handlers a ``WSGIPhaseScript`` (or ``PhasedApp``) runs, by phase.

Registration only; running them is ``dispatch``'s business.  Each registering method works as a
bare decorator (``@phases.access``) or with an order (``@phases.access(order=FIRST)``); handlers
of one phase run in registration order within the same order value.
"""

from .results import MIDDLE

HOOK_PHASES = ("access", "authenticate", "fixup")
PROVIDER_PHASES = ("check_password", "get_realm_hash", "groups_for_user")
PHASES = HOOK_PHASES + PROVIDER_PHASES + ("require",)


class Phases:
    """The phase handlers of one site or scope."""

    def __init__(self):
        self._handlers = {name: [] for name in HOOK_PHASES + PROVIDER_PHASES}
        self._requires = {}
        self._seq = 0
        self._sorted = {}

    def _add(self, table, key, func, order):
        if not callable(func):
            raise TypeError("a phase handler must be callable, not %s" % type(func).__name__)
        if isinstance(order, bool) or not isinstance(order, int):
            raise TypeError("order must be FIRST, MIDDLE, LAST or an int, not %r" % (order,))
        self._seq += 1
        table.setdefault(key, []).append((order, self._seq, func))
        self._sorted.clear()
        return func

    def _decorator(self, phase):
        def register(func=None, *, order=MIDDLE):
            if func is None:
                return lambda f: self._add(self._handlers, phase, f, order)
            return self._add(self._handlers, phase, func, order)
        register.__name__ = phase
        register.__doc__ = "Register a handler for the %s phase." % phase
        return register

    @property
    def access(self):
        """``access_checker``: ``handler(request)``; all run while they answer OK/DECLINED."""
        return self._decorator("access")

    @property
    def authenticate(self):
        """``check_user_id`` for AuthType values no other module handles: ``handler(request)``;
        the first that does not decline decides."""
        return self._decorator("authenticate")

    @property
    def check_password(self):
        """authn provider ``wsgi`` (Basic, Form): ``handler(request, user, password)``."""
        return self._decorator("check_password")

    @property
    def get_realm_hash(self):
        """authn provider ``wsgi`` (Digest): ``handler(request, user, realm)``."""
        return self._decorator("get_realm_hash")

    @property
    def groups_for_user(self):
        """``Require wsgi-group G...``: ``handler(request, user)`` -> group names."""
        return self._decorator("groups_for_user")

    @property
    def fixup(self):
        """``fixups``: ``handler(request)``; all run while they answer OK/DECLINED."""
        return self._decorator("fixup")

    def require(self, name, *, order=MIDDLE):
        """``Require wsgi-phase NAME ARGS...``: ``handler(request, *args)`` -> True/False/None."""
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise ValueError("a require name must be a non-empty word, not %r" % (name,))
        return lambda func: self._add(self._requires, name.lower(), func, order)

    def handlers(self, phase, name=None):
        """The handlers of ``phase`` (for ``require``: of rule ``name``) in running order."""
        found = self._sorted.get(phase if name is None else (phase, name))
        if found is None:
            if phase == "require":
                entries = self._requires.get((name or "").lower(), [])
            else:
                entries = self._handlers[phase]
            found = tuple(f for _, _, f in sorted(entries, key=lambda e: (e[0], e[1])))
            self._sorted[phase if name is None else (phase, name)] = found
        return found

    def require_names(self):
        return sorted(self._requires)

    def __repr__(self):
        counts = ", ".join("%s=%d" % (k, len(v)) for k, v in self._handlers.items() if v)
        if self._requires:
            counts += (", " if counts else "") + "require=%s" % ",".join(self.require_names())
        return "<Phases %s>" % (counts or "empty")

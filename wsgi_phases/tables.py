"""Case-insensitive, multi-valued, mutable mappings: the shape of Apache's ``apr_table_t``.

``Table`` holds the mapping behaviour over six primitives a subclass provides (``_get``,
``_getall``, ``_set``, ``_add``, ``_unset``, ``_pairs``), so that the Apache-backed tables of
``mod_wsgi_ext`` and the in-memory ``ListTable`` below behave the same.  As in Apache, keys
compare ASCII case-insensitively, ``t[key]`` is the first value, ``t[key] = v`` replaces every
value of that key, ``add()`` appends another one and ``getall()`` returns them all.  Keys and
values are latin-1 ``str`` without CR, LF or NUL (they may end up in HTTP headers).
"""

from collections.abc import MutableMapping

from .results import _check_text


class Table(MutableMapping):
    __slots__ = ()

    # --- primitives (keys and values already checked) ---
    def _get(self, key):
        raise NotImplementedError

    def _getall(self, key):
        raise NotImplementedError

    def _set(self, key, value):
        raise NotImplementedError

    def _add(self, key, value):
        raise NotImplementedError

    def _unset(self, key):
        raise NotImplementedError

    def _pairs(self):
        raise NotImplementedError

    # --- mapping ---
    def __getitem__(self, key):
        value = self._get(_check_text("table key", key))
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value = self._get(_check_text("table key", key))
        return default if value is None else value

    def __contains__(self, key):
        return isinstance(key, str) and self._get(key) is not None

    def __setitem__(self, key, value):
        self._set(_check_text("table key", key), _check_text("table value", value))

    def __delitem__(self, key):
        key = _check_text("table key", key)
        if self._get(key) is None:
            raise KeyError(key)
        self._unset(key)

    def __iter__(self):
        seen = set()
        for key, _ in self._pairs():
            folded = key.lower()
            if folded not in seen:
                seen.add(folded)
                yield key

    def __len__(self):
        return len({key.lower() for key, _ in self._pairs()})

    def add(self, key, value):
        """Append a value for ``key``, keeping those it has."""
        self._add(_check_text("table key", key), _check_text("table value", value))

    def getall(self, key, default=()):
        """Every value of ``key`` in order (``default`` when there is none)."""
        values = self._getall(_check_text("table key", key))
        return values if values else list(default)

    def allitems(self):
        """Every ``(key, value)`` pair in order, repeated keys included."""
        return list(self._pairs())

    def clear(self):
        for key in list(self):
            self._unset(key)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.allitems())


class ListTable(Table):
    """A table kept in a Python list (wsgi_phases.testing and unit tests)."""
    __slots__ = ("_items",)

    def __init__(self, pairs=()):
        self._items = []
        items = pairs.items() if hasattr(pairs, "items") else pairs
        for key, value in items:
            self.add(key, value)

    def _get(self, key):
        folded = key.lower()
        for k, v in self._items:
            if k.lower() == folded:
                return v
        return None

    def _getall(self, key):
        folded = key.lower()
        return [v for k, v in self._items if k.lower() == folded]

    def _set(self, key, value):
        folded = key.lower()
        for i, (k, _) in enumerate(self._items):
            if k.lower() == folded:
                self._items[i] = (k, value)
                self._items[i + 1:] = [p for p in self._items[i + 1:] if p[0].lower() != folded]
                return
        self._items.append((key, value))

    def _add(self, key, value):
        self._items.append((key, value))

    def _unset(self, key):
        folded = key.lower()
        self._items = [p for p in self._items if p[0].lower() != folded]

    def _pairs(self):
        return list(self._items)

"""WSGIDispatchScript: per request, the script's ``process_group(environ)``,
``application_group(environ)`` and ``callable_object(environ)`` choose where it runs.

``resolve(log, environ, script, reloading)`` runs in the dispatch script's interpreter (its
``application-group=``, the main interpreter by default) before the request's own interpreter
is chosen.  It returns a 3-tuple of ``str`` or ``None`` (None: the function is not defined or
returned None, so the configured value stays); the C handler expands ``%{GLOBAL}`` and the other
forms in the returned groups as it does for the directives.  A failing script (it does not load,
a function raises, or returns something other than ``str``/``bytes``/``None``) is logged and
answers ``None`` for the whole tuple: the request is then a 500.
"""

from mod_wsgi_ext.runtime import loader

APLOG_ERR = 3
NAMES = ("process_group", "application_group", "callable_object")


def _value(name, value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if not isinstance(value, str):
        raise TypeError("WSGIDispatchScript %s() must return str, bytes or None, not %s"
                        % (name, type(value).__name__))
    value.encode("latin-1")         # UnicodeEncodeError for what Apache cannot hold
    return value


def resolve(log, environ, script, reloading=True, group=""):
    try:
        module = loader.load_module(script, reloading, group)
    except loader.LoadError as err:
        log(APLOG_ERR, "mod_wsgi_ext: WSGIDispatchScript: %s" % err.message)
        for line in err.detail.rstrip("\n").split("\n"):
            if line:
                log(APLOG_ERR, line)
        return None
    try:
        return tuple(_value(name, getattr(module, name)(environ))
                     if callable(getattr(module, name, None)) else None for name in NAMES)
    except Exception:
        import traceback
        log(APLOG_ERR, "mod_wsgi_ext: WSGIDispatchScript '%s' failed:" % script)
        for line in traceback.format_exc().rstrip("\n").split("\n"):
            log(APLOG_ERR, line)
        return None

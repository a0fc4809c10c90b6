"""Process lifecycle: the shutdown-callback API.

``mod_wsgi_ext.subscribe_shutdown(callback)`` registers ``callback()`` to run when the process that
serves the application exits normally (an Apache child being stopped or recycled).  Callbacks run in
the interpreter that registered them, last registered first, before that interpreter's ``atexit``
handlers.  An exception in one is logged and the others still run.
"""

import atexit
import sys
import traceback

_callbacks = []


def subscribe_shutdown(callback):
    """Run ``callback()`` when this process shuts down; returns the callback (usable as decorator)."""
    if not callable(callback):
        raise TypeError("subscribe_shutdown() needs a callable")
    _callbacks.append(callback)
    return callback


def run_shutdown():
    """Run the shutdown callbacks, then the atexit handlers, of this interpreter."""
    while _callbacks:
        cb = _callbacks.pop()
        try:
            cb()
        except BaseException:   # sys.exit() in a callback must not skip the others and atexit
            sys.stderr.write("mod_wsgi_ext: shutdown callback %r failed:\n%s"
                             % (cb, traceback.format_exc()))
    atexit._run_exitfuncs()

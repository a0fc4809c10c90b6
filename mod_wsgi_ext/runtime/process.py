"""Process boot in an Apache child: the target of the cffi entry point ``wx_py_boot``.

Runs once in the main interpreter right after Python started (child_init).  It returns the sentinel
the C side checks (pitfall: a failed cffi init makes extern "Python" functions return 0).
"""

import sys
import traceback

SENTINEL = 0x5EED
APLOG_ERR = 3

_lib = None


def boot(ffi, lib):
    global _lib
    _lib = lib
    return SENTINEL


def boot_error(exc_type, exc_value, tb):
    text = "".join(traceback.format_exception(exc_type, exc_value, tb))
    for line in ("mod_wsgi_ext: the Python side failed to boot:\n" + text).splitlines():
        if _lib is not None:
            _lib.wx_log_server(APLOG_ERR, line.encode("utf-8", "replace"))
        else:
            sys.stderr.write(line + "\n")
    return 0

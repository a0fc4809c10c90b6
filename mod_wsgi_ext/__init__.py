"""mod_wsgi_ext: run WSGI applications inside Apache httpd 2.4.

The package is both the installer of the Apache module (the cffi-built ``_ext`` shared object
beside this file) and the Python half of that module.  Application code may use:

* :func:`subscribe_shutdown` -- register a callable run when the process serving the application
  exits normally (close pools and connections there); ``atexit`` handlers run too.
"""

__version__ = "0.1.0"

from mod_wsgi_ext.runtime.lifecycle import subscribe_shutdown  # noqa: E402,F401

"""Daemon mode: the processes that run applications outside the Apache children.

``protocol`` the wire protocol (its docstring is the spec); ``server`` the daemon process
(accepting, worker threads, timeouts, retiring); ``connection`` one connection and the
socket-backed sink that ``mod_wsgi_ext.wsgi.response`` writes to; ``__main__`` the entry point the
Apache parent execs.  The Apache side (the forwarder in the children, the supervisor in the
parent) is C: ``_csrc/daemon.c``.
"""

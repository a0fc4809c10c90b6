"""wsgi_phases: Python handlers for Apache's access, authentication, authorization and fixup
phases, with a request object over Apache's request.

Pure Python: importable and testable without Apache and without cffi.  ``mod_wsgi_ext`` runs a
``Phases`` object named by ``WSGIPhaseScript``; ``wsgi_phases.testing.PhasedApp`` runs the same
object in front of a WSGI application for webtest.  See docs/phases.md.
"""

from .results import (OK, DECLINED, DONE, FIRST, MIDDLE, LAST, REALLY_FIRST, REALLY_LAST, Deny,
                      RequestEnded)
from .registry import Phases
from .tables import Table

__all__ = ["Phases", "OK", "DECLINED", "DONE", "Deny", "FIRST", "MIDDLE", "LAST", "REALLY_FIRST",
           "REALLY_LAST", "RequestEnded", "Table"]

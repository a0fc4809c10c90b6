"""A WSGIImportScript: marks the interpreter it was imported into, and says so in the error log."""
import os
import sys

import wx_probe

wx_probe.preloaded = os.getpid()
sys.stderr.write("wx-import-marker pid=%d\n" % os.getpid())
sys.stderr.flush()

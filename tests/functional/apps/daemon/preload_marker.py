"""Imported by WSGIImportScript into a daemon process: records the pid it was imported in."""
import builtins
import os

builtins._wx_preloaded_in = os.getpid()

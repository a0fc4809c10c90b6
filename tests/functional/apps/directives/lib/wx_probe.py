"""Shared state for the interpreter-group tests: one copy per interpreter."""
value = None          # set through /...?set=X by groups.wsgi
preloaded = None      # set by import_marker.py (WSGIImportScript)

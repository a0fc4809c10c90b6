"""An auth script that defines none of the auth callables (used by the auth tests)."""
VALUE = 1

# The WSGI script Apache mounts: import the Flask app from the directory next to this file.
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from shop import app as application  # noqa: E402

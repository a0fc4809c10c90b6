"""``python -m mod_wsgi_ext`` is the ``mod-wsgi-ext`` command."""
import sys

from mod_wsgi_ext.cli import main

sys.exit(main())

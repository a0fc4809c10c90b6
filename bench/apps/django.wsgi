# The Django site next to this file (benchsite/), one view rendering a template.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "benchsite"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

"""A WSGIImportScript that takes far too long to import (startup-timeout test)."""
import time

time.sleep(30)

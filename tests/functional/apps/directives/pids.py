"""A WSGIImportScript that records the pid and parent pid of the process importing it."""
import os

with open(os.path.join(os.path.dirname(__file__), "..", "..", "marks", "imports"), "a") as f:
    f.write("%d %d\n" % (os.getpid(), os.getppid()))

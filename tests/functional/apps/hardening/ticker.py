"""Imported at child start (WSGIImportScript): a thread that counts, every 10 ms, into
{server root}/ticks/PID -- it stops counting while another thread holds the GIL."""
import os
import threading
import time

TICKS = os.path.join(os.path.dirname(__file__), "..", "..", "ticks")


def _tick():
    n = 0
    path = os.path.join(TICKS, str(os.getpid()))
    while True:
        n += 1
        with open(path + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(path + ".tmp", path)
        time.sleep(0.01)


threading.Thread(target=_tick, daemon=True).start()

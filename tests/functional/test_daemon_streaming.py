"""Daemon mode streams bodies both ways without holding them whole, and a client that goes away
mid-response makes the application's next write fail and its close() run."""
import os
import re
import socket
import threading
import time

import pytest


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def processes_of(srv):
    """(daemon pids, child pids) of this Apache."""
    daemons, children = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if int(fields[1]) != srv.proc.pid:
            continue
        (daemons if b"daemon/__main__.py" in cmd else children).append(int(entry))
    return daemons, children


SIZE = 1024 * 1024 * 1024      # 1 GiB each way, as issue 11 asks


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_big_upload_and_download_keep_memory_flat(apache, mpm):
    srv = apache("WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n", mpm=mpm)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
    s.sendall(b"GET /app/ HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(65536)
    daemons, children = processes_of(srv)
    before = {pid: peak_rss_kib(pid) for pid in daemons + children}
    # upload: counted by the application in 64 KiB reads
    s.sendall(b"POST /app/count HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % SIZE)
    block = b"u" * (1 << 20)
    for _ in range(SIZE >> 20):
        s.sendall(block)
    head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(str(SIZE).encode())
    # download: generated in 64 KiB blocks
    s.sendall(b"GET /app/download?%d HTTP/1.1\r\nHost: x\r\n\r\n" % SIZE)
    got = 0
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    got = len(data.split(b"\r\n\r\n", 1)[1])
    while got < SIZE:
        chunk = s.recv(1 << 20)
        assert chunk
        got += len(chunk)
    s.close()
    for pid in daemons + children:
        grew = peak_rss_kib(pid) - before[pid]
        assert grew < 10 * 1024, "process %d grew by %d KiB" % (pid, grew)


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_client_going_away_stops_the_application(apache, mpm):
    srv = apache("WSGIDaemonProcess g threads=2\n"
                 "WSGIScriptAlias /app {root}/apps/daemon/app.wsgi process-group=g\n", mpm=mpm)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    s.sendall(b"GET /app/forever HTTP/1.1\r\nHost: x\r\n\r\n")
    got = 0
    while got < 4 << 20:
        got += len(s.recv(1 << 20))
    s.close()
    assert srv.wait_log("forever closed after", timeout=20)
    # it stopped soon after the client left (4 MiB read, a few MiB in socket buffers)
    blocks = int(re.search(r"forever closed after (\d+) blocks", srv.log()).group(1))
    assert blocks < 1000

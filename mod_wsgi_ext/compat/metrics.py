"""mod_wsgi's metrics API: ``start_recording_metrics``, ``request_metrics()``,
``process_metrics()`` (``server_metrics()``, Apache's scoreboard under ``WSGIServerMetrics On``,
comes from the C bridge: ``compat/modules.py``).

Nothing is recorded until ``start_recording_metrics()`` is called; until then
``request_metrics()`` and ``process_metrics()`` return None, as in mod_wsgi.  Once recording,
every request of this interpreter goes through the instrumented path of ``events.py``, which
hands each finished request to ``record()``.

Differences from mod_wsgi 6 (docs/migrating-from-mod_wsgi.md): the figures cover the requests
of the interpreter that asks (mod_wsgi's cover the whole process); ``gil_wait_time`` and
``gil_wait_count`` are always 0; the ``*_buckets`` histograms use ``BUCKETS`` below; in
embedded mode ``queue_time`` and ``daemon_time`` are 0.
"""

import os
import resource
import threading
import time

from mod_wsgi_ext.compat import events

# histogram of durations: bucket 0 is under 1 ms, bucket k (1..14) is [2**(k-1), 2**k) ms,
# bucket 15 is 16.384 s and more
BUCKETS = 16
_PHASES = ("server_time", "queue_time", "daemon_time", "application_time", "request_time",
           "gil_wait_time", "input_read_time", "output_write_time")
_lock = threading.Lock()
_threads_max = 1
_started = None            # when recording started (process_metrics' restart_time)
_totals = None             # since recording started
_interval = None           # since the last request_metrics() call
_thread_counts = {}        # mod_wsgi thread id -> requests served


def _bucket(seconds):
    ms = seconds * 1000.0
    if ms < 1.0:
        return 0
    k = int(ms).bit_length()
    return k if k < BUCKETS else BUCKETS - 1


class _Interval:
    def __init__(self):
        self.start = time.time()
        self.usage = resource.getrusage(resource.RUSAGE_SELF)
        self.count = 0
        self.busy = 0.0
        self.cpu = 0.0
        self.max_duration = 0.0
        self.input_bytes = self.input_reads = self.output_bytes = self.output_writes = 0
        self.sums = dict.fromkeys(_PHASES, 0.0)
        self.mins = dict.fromkeys(_PHASES, None)
        self.maxs = dict.fromkeys(_PHASES, 0)
        self.buckets = {p: [0] * BUCKETS for p in _PHASES}
        self.thread_buckets = [0] * BUCKETS
        self.threads = set()


def start_recording_metrics():
    """Start recording request metrics in this interpreter (idempotent)."""
    global _started, _totals, _interval
    with _lock:
        if _started is None:
            _started = time.time()
            _totals = {"count": 0, "busy": 0.0}
            _interval = _Interval()
    events._record = record
    events.recording = True
    events.on = True


def configure(threads_max):
    global _threads_max
    _threads_max = max(1, threads_max)


def record(sample, start, end):
    """One finished request (``sample`` holds the request_finished keys)."""
    duration = max(0.0, end - sample["request_start"])
    phases = {
        "server_time": max(0.0, start - sample["request_start"]),
        "queue_time": 0.0, "daemon_time": 0.0,
        "application_time": sample["application_time"],
        "request_time": duration, "gil_wait_time": 0.0,
        "input_read_time": sample["input_time"], "output_write_time": sample["output_time"],
    }
    with _lock:
        iv = _interval
        _totals["count"] += 1
        _totals["busy"] += end - start
        tid = sample["thread_id"]
        _thread_counts[tid] = _thread_counts.get(tid, 0) + 1
        iv.count += 1
        iv.busy += end - start
        iv.cpu += sample["cpu_time"]
        iv.max_duration = max(iv.max_duration, duration)
        iv.input_bytes += sample["input_length"]
        iv.input_reads += sample["input_reads"]
        iv.output_bytes += sample["output_length"]
        iv.output_writes += sample["output_writes"]
        iv.threads.add(tid)
        iv.thread_buckets[min(tid, BUCKETS - 1)] += 1
        for name, value in phases.items():
            us = int(value * 1e6)
            iv.sums[name] += value
            iv.mins[name] = us if iv.mins[name] is None else min(iv.mins[name], us)
            iv.maxs[name] = max(iv.maxs[name], us)
            iv.buckets[name][_bucket(value)] += 1


def _memory():
    rss = 0
    try:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, rss


def request_metrics():
    """Figures for the requests since the previous call (None until recording started)."""
    global _interval
    if _started is None:
        return None
    now = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with _lock:
        iv, _interval = _interval, _Interval()
        active = len(events.active_requests)
        elapsed_now = 0.0
    period = max(now - iv.start, 1e-9)
    user = usage.ru_utime - iv.usage.ru_utime
    system = usage.ru_stime - iv.usage.ru_stime
    max_rss, rss = _memory()
    n = iv.count or 1
    out = {
        "pid": os.getpid(), "start_time": iv.start, "stop_time": now, "sample_period": period,
        "cpu_user_utilization": user / period, "cpu_user_time": user,
        "cpu_system_utilization": system / period, "cpu_system_time": system,
        "cpu_utilization": (user + system) / period, "cpu_time": user + system,
        "memory_max_rss": max_rss, "memory_rss": rss,
        "request_threads_maximum": _threads_max, "request_threads_started": len(_thread_counts),
        "request_threads_active": active,
        "capacity_utilization": iv.busy / (period * _threads_max),
        "request_count": iv.count, "request_throughput": iv.count / period,
        "input_bytes": iv.input_bytes, "input_reads": iv.input_reads,
        "output_bytes": iv.output_bytes, "output_writes": iv.output_writes,
        "request_threads_completed": iv.count,
        "request_threads_buckets": iv.thread_buckets,
        "request_threads_busy_time": iv.busy, "request_threads_cpu_time": iv.cpu,
        "request_threads_current_elapsed": elapsed_now,
        "request_threads_max_duration": iv.max_duration,
        "gil_wait_count": 0,
    }
    for name in _PHASES:
        out[name] = iv.sums[name] / n
        out[name + "_buckets"] = iv.buckets[name]
        out[name + "_min_us"] = iv.mins[name] or 0
        out[name + "_max_us"] = iv.maxs[name]
    return out


def process_metrics():
    """Totals since recording started (None until then)."""
    if _started is None:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    max_rss, rss = _memory()
    now = time.time()
    with _lock:
        threads = [{"thread_id": t, "request_count": c} for t, c in sorted(_thread_counts.items())]
        count, busy = _totals["count"], _totals["busy"]
    return {
        "pid": os.getpid(), "request_count": count, "request_busy_time": busy,
        "memory_max_rss": max_rss, "memory_rss": rss,
        "cpu_user_time": usage.ru_utime, "cpu_system_time": usage.ru_stime,
        "cpu_time": usage.ru_utime + usage.ru_stime,
        "restart_time": _started, "current_time": now, "running_time": now - _started,
        "request_threads": len(threads), "active_requests": len(events.active_requests),
        "threads": threads,
    }

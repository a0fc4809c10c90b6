# Differential tests: what code written for mod_wsgi sees of the mod_wsgi and apache modules and
# of mod_wsgi's environ extras, normalised where values differ between any two servers (pids,
# times, ports, our own product token).  Answers JSON.
import json

import apache
import mod_wsgi

MOD_WSGI_API = ("version", "process_group", "application_group", "threads_per_process",
                "FileWrapper", "LogHandler", "RequestTimeout", "subscribe_events",
                "subscribe_shutdown", "subscribe_signals", "event_callbacks",
                "shutdown_callbacks", "signal_callbacks", "request_data", "active_requests",
                "start_recording_metrics", "request_metrics", "process_metrics",
                "server_metrics", "maximum_processes")


def kind(v):
    if callable(v) and not isinstance(v, type):
        return "callable"
    return type(v).__name__


def application(environ, start_response):
    path = environ["PATH_INFO"]
    port = environ["SERVER_PORT"]
    if path == "/mod_wsgi":
        seen = {k: kind(getattr(mod_wsgi, k, None)) for k in MOD_WSGI_API}
        seen.update(version=mod_wsgi.version, process_group=mod_wsgi.process_group,
                    application_group=mod_wsgi.application_group.replace(port, "{port}"),
                    threads_per_process=mod_wsgi.threads_per_process,
                    classes=[mod_wsgi.FileWrapper.__module__, mod_wsgi.LogHandler.__module__,
                             [c.__name__ for c in mod_wsgi.RequestTimeout.__mro__]],
                    metrics_before_recording=[mod_wsgi.request_metrics(),
                                              mod_wsgi.process_metrics(),
                                              mod_wsgi.server_metrics()],
                    lists=[mod_wsgi.event_callbacks, mod_wsgi.shutdown_callbacks,
                           mod_wsgi.signal_callbacks],
                    request_data=mod_wsgi.request_data())
    elif path == "/apache":
        seen = {"version": apache.version, "mpm_name": apache.mpm_name,
                "threads_per_process": apache.threads_per_process,
                "description": apache.description.split()[0],
                "build_date": apache.build_date,
                "types": sorted((k, type(getattr(apache, k)).__name__) for k in (
                    "version", "description", "build_date", "mpm_name", "maximum_processes",
                    "threads_per_process"))}
    elif path == "/proxy":
        seen = {k: environ.get(k) for k in ("SCRIPT_NAME", "REMOTE_ADDR", "mod_wsgi.mount_point",
                                             "mod_wsgi.script_name", "HTTP_X_FORWARDED_FOR")}
    else:
        # mod_wsgi.script_reloading is an extra of ours (docs/migrating-from-mod_wsgi.md)
        keys = sorted(k for k in environ if k.startswith("mod_wsgi.")
                      and k != "mod_wsgi.script_reloading")
        seen = {"keys": keys, "types": {k: type(environ[k]).__name__ for k in keys}}
        for k in ("mod_wsgi.version", "mod_wsgi.script_name", "mod_wsgi.path_info",
                  "mod_wsgi.handler_script", "mod_wsgi.request_handler",
                  "mod_wsgi.listener_host", "mod_wsgi.mount_point", "mod_wsgi.queue_start",
                  "mod_wsgi.daemon_start", "SCRIPT_NAME", "REMOTE_ADDR", "REQUEST_URI"):
            if k in environ:
                seen[k] = environ[k]
        seen["listener_port_is_server_port"] = environ.get("mod_wsgi.listener_port") == port
        seen["server_pid_digits"] = str(environ.get("mod_wsgi.server_pid", "")).isdigit()
        seen["times_ordered"] = (0 < environ.get("mod_wsgi.request_start", 0)
                                 <= environ.get("mod_wsgi.application_start", 0))
        seen["errors_buffer"] = hasattr(environ["wsgi.errors"], "buffer")
        seen["file_wrapper"] = environ["wsgi.file_wrapper"].__module__ + "." + \
            environ["wsgi.file_wrapper"].__name__
    data = json.dumps(seen, sort_keys=True, indent=1, default=repr).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]

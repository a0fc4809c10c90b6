"""The ``mod_wsgi`` and ``apache`` modules that code written for mod_wsgi imports.

* ``modules.py``: builds both modules for one interpreter (the ``mod_wsgi`` package reaching an
  installed mod_wsgi distribution, its attributes, ``FileWrapper``, ``LogHandler``,
  ``RequestTimeout``; the ``apache`` module);
* ``events.py``: ``subscribe_events``/``subscribe_shutdown``/``subscribe_signals``, the
  per-request events, ``request_data()``/``active_requests``, and the instrumented request path
  that runs only once something subscribed or started recording;
* ``metrics.py``: ``start_recording_metrics``, ``request_metrics()``, ``process_metrics()``
  (``server_metrics()`` is the C bridge's scoreboard under ``WSGIServerMetrics On``).
"""

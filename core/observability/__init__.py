"""Observability: structured JSON logs with a request id, and Prometheus metrics.

- ``logs``: one JSON object per line (time, level, logger, message, request_id, community,
  user, path, status, duration_ms), for the app, gunicorn and Celery alike;
- ``metrics``: request latency by route, Celery task durations and failures, and the domain
  counters other capabilities bump through ``count_award()`` / ``count_redemption()``;
- ``views``: ``/metrics``, open to loopback, to anyone else only with ``METRICS_TOKEN``;
- ``setup``: ``init_app`` wires it (and trusts ``PROXY_COUNT`` reverse proxies).
"""

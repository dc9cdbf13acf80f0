"""A Celery worker's own metrics endpoint (task durations and failures, domain counters).

A worker is not a web server, so it serves its samples on ``WORKER_METRICS_PORT`` (bound to
``WORKER_METRICS_ADDRESS``, loopback by default: this endpoint has no token). Started in the
worker's main process; with the prefork pool the tasks run in child processes, whose samples
reach the main process only through ``PROMETHEUS_MULTIPROC_DIR`` (a directory of the
worker's own, not the web's: pids may repeat across containers).
"""

import logging
import os

log = logging.getLogger(__name__)


def start_exporter(flask_app):
    """Serve /metrics in a thread; returns (server, thread), or None when no port is set."""
    port = flask_app.config.get("WORKER_METRICS_PORT")
    if not port:
        return None
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
        log.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: tasks run by prefork children are not counted"
        )
    address = flask_app.config.get("WORKER_METRICS_ADDRESS", "127.0.0.1")
    served = start_http_server(port, addr=address, registry=registry)
    log.info("worker metrics on http://%s:%s/metrics", address, port)
    return served

"""gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every figure can be changed from the environment (``GUNICORN_*``), so the container, the
systemd unit and ``deploy/run-local.sh`` share this one file.

Metrics: each worker is a process of its own, so Prometheus samples go to files in
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds every worker's up. The variable must be
set before the app (and so ``prometheus_client``) is imported, which is why it is set here,
at config load in the master, and inherited by every worker. The directory belongs to this
gunicorn alone (never share it with a Celery worker: pids repeat across containers), and
is emptied at start, as the ``prometheus_client`` documentation asks.
"""

import glob
import multiprocessing
import os
import shutil
import tempfile

from core.config import database_url  # os and pathlib only: psycopg must not load here

bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"

# The worker. A request spends most of its time waiting on PostgreSQL (a counter redemption
# makes ten round trips). gevent serves the process's other requests meanwhile, in one
# thread: no thread handing each request over and back, no threads taking turns at the GIL.
# bench/redeem.py measured it against threads (5 processes x 4): more requests a second and
# a p99 about a third lower (issue 6's notes have the figures). Work that holds the CPU for
# long goes through core/green.py. On SQLite, threads: a write waiting for SQLite's lock
# waits in C and would stop the whole loop.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or (
    "gevent" if database_url().startswith("postgresql") else "gthread"
)
GREEN = "gevent" in worker_class
_cpus = multiprocessing.cpu_count()
# gevent: one loop per core (more processes only share the connections out more unevenly);
# threads: gunicorn's 2 x cores + 1
workers = int(os.environ.get("GUNICORN_WORKERS") or (_cpus if GREEN else _cpus * 2 + 1))
# threads (gthread only): a request waiting on the database does not hold a whole process
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
if GREEN:
    # A gevent process takes on every request that arrives. Its PostgreSQL connections stay
    # bounded (10 + 10): further requests wait for one, without stopping the loop, instead of
    # running the server out of connections (max_connections is 100 by default).
    os.environ["DATABASE_MAX_OVERFLOW"] = os.environ.get("DATABASE_MAX_OVERFLOW") or "10"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)  # seconds an idle connection stays open
# recycle workers now and then: bounds the harm of a slow leak
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# nginx on the same machine (or the compose network) sets X-Forwarded-Proto
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
preload_app = False  # each worker builds the app after the metrics directory is set (and gevent patched)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None  # /dev/shm in containers
# gunicorn >= 25 opens a control socket under $HOME by default: one path for every gunicorn
# of the user, and a home a container user may not be able to write. Manage it with signals.
control_socket_disable = True

# Logs: the app writes one JSON access line per request (with its request id), so gunicorn's
# own access log is off; gunicorn's error log uses the same JSON shape.
accesslog = None
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
_json = (os.environ.get("LOG_FORMAT") or "json") == "json"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"()": "core.observability.logs.JsonFormatter"} if _json
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"},
    },
    "root": {"level": loglevel.upper(), "handlers": []},  # the app adds its own root handler
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}

_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="linli-metrics-")
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(METRICS_DIR, exist_ok=True)


def on_starting(server):
    for path in glob.glob(os.path.join(METRICS_DIR, "*.db")):
        os.remove(path)
    server.log.info("prometheus multiprocess directory %s", METRICS_DIR)


def post_worker_init(worker):
    """Refuse to serve when psycopg cannot wait cooperatively. psycopg picks its wait function
    when first imported and uses gevent's only if gevent had patched the process by then:
    imported earlier (preload_app, or an import in this file), every query would stop all of
    the worker's other requests, a server that works but crawls."""
    if GREEN:
        from psycopg import waiting

        if waiting.wait is waiting.wait_c:
            raise RuntimeError("psycopg was imported before gevent patched the worker")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)

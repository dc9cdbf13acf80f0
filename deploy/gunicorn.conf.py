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

bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
# threads: a request waiting on PostgreSQL does not hold a whole process
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)  # seconds an idle connection stays open
# recycle workers now and then: bounds the harm of a slow leak
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# nginx on the same machine (or the compose network) sets X-Forwarded-Proto
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
preload_app = False  # each worker builds the app after the metrics directory is set
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


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)

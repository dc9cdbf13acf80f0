"""Prometheus metrics (``prometheus_client``), served at ``/metrics`` (``views.py``).

Under gunicorn every worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set
(``deploy/gunicorn.conf.py`` sets it) each process writes its samples to files there and
``/metrics`` adds them up. The variable must be set before this module is first imported.

Other capabilities count domain events with the helpers at the end (``count_award()``,
``count_redemption()``): called inside a transaction, the count waits for the commit, so a
rolled-back award is never counted.
"""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_DURATION = Histogram(
    "linli_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL rule, not the raw path), method, status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASK_DURATION = Histogram(
    "linli_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and final state (SUCCESS, FAILURE, RETRY...).",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
TASK_FAILURES = Counter(
    "linli_celery_task_failures", "Celery tasks that raised, by task name.", ["task"]
)
AWARDS = Counter("linli_awards", "Awards of points committed to the ledger.")
REDEMPTIONS = Counter("linli_redemptions", "Vouchers redeemed at a merchant, committed.")

UNMATCHED_ROUTE = "<unmatched>"  # 404s: one label for every unknown path, not one per path


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(route or UNMATCHED_ROUTE, method, str(status)).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The text format for a scrape: this process's samples, or every process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


# Celery, through its signals: connected once per process, for every task of every app.
_started: dict[str, float] = {}


def _task_prerun(task_id=None, **_kwargs):
    _started[task_id] = time.perf_counter()


def _task_postrun(task_id=None, task=None, state=None, **_kwargs):
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_DURATION.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


def _task_failure(sender=None, **_kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def connect_celery_signals() -> None:
    from celery.signals import task_failure, task_postrun, task_prerun

    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="linli.metrics.prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="linli.metrics.postrun")
    task_failure.connect(_task_failure, weak=False, dispatch_uid="linli.metrics.failure")


# Domain counters: the public helpers.
def count_award(n: int = 1) -> None:
    """One award of points (or ``n``), from the action that awards, after its ledger write:
    inside the open transaction it is counted when that commits."""
    _after_commit(lambda: AWARDS.inc(n))


def count_redemption(n: int = 1) -> None:
    """One voucher redeemed at a merchant (or ``n``). Call it from the action that redeems."""
    _after_commit(lambda: REDEMPTIONS.inc(n))


def _after_commit(fn) -> None:
    from flask import has_app_context

    if not has_app_context():
        fn()
        return
    from sqlalchemy import event

    from core.extensions import db

    session = db.session()
    if not session.in_transaction():
        fn()
        return
    # Whichever comes first wins: a rollback cancels the count for good.
    settled = []

    def _on_commit(_session):
        if not settled:
            settled.append(True)
            fn()

    def _on_rollback(_session):
        settled.append(False)

    event.listen(session, "after_commit", _on_commit, once=True)
    event.listen(session, "after_rollback", _on_rollback, once=True)

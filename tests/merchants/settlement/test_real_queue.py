"""Closing a month end to end through a real queue: a real Redis (the suite's on PostgreSQL,
``LINLI_TEST_REDIS_URL``; one of our own otherwise) and a real Celery worker process started
from the production entry point (``celery -A core.celery_app worker``) on the suite's
database. The test commits its own community (unique names) and waits for the worker's
statement to appear."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import all_communities
from merchants.settlement.models import ClosedMonth
from merchants.settlement.tasks import CLOSE_COMMUNITY
from tests.merchants.settlement.helpers import (
    at,
    make_offer,
    new_community,
    redeem_at,
    statements_of,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def redis_url():
    url = os.environ.get("LINLI_TEST_REDIS_URL")
    if url:
        yield url
        return
    work = tempfile.mkdtemp(prefix="settle-redis-")
    started = subprocess.run([str(ROOT / "scripts" / "testredis.sh"), "start", f"{work}/redis"],
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip().split("=", 1)[1]
    finally:
        subprocess.run([str(ROOT / "scripts" / "testredis.sh"), "stop", f"{work}/redis"], timeout=60)


@pytest.fixture
def worker(app, redis_url, tmp_path):
    queue = f"settle-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "CELERY_BROKER_URL": redis_url, "SECRET_KEY": "worker-test", "LOG_LEVEL": "WARNING",
           "LINLI_FAST_PASSWORD_HASH": "1"}
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "core.celery_app", "worker",
         "--pool", "solo", "-Q", queue, "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def test_a_month_closes_through_the_queue(app, world, redis_url, worker):
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        cid, resident = new_community(world, f"queue-{tag}", partners=[("m1", 12)])
        offer = make_offer(world.ids["m1"], [cid], points=7)
        redeem_at(cid, resident, offer, at("2024-06-03 02:00"))
        redeem_at(cid, resident, offer, at("2024-06-29 02:00"))
        db.session.remove()

    sender = Celery(broker=redis_url)
    sender.send_task(CLOSE_COMMUNITY, args=[str(cid), "2024-06"], queue=worker)
    sender.send_task(CLOSE_COMMUNITY, args=[str(cid), "2024-06"], queue=worker)  # a duplicate delivery
    deadline = time.monotonic() + 90
    closed = None
    while time.monotonic() < deadline:
        with app.app_context(), all_communities():
            closed = db.session.scalar(select(ClosedMonth).where(
                ClosedMonth.community_id == cid, ClosedMonth.month == "2024-06"))
            db.session.remove()
        if closed is not None:
            break
        time.sleep(0.5)
    assert closed is not None, "the worker did not close the month (see worker.log in the test's tmp_path)"
    time.sleep(1.0)  # let the duplicate run too: it must create nothing
    with app.app_context():
        found = statements_of(cid, "2024-06")
        assert list(found) == [(world.ids["m1"], "CNY")]
        statement = found[(world.ids["m1"], "CNY")]
        assert (statement.vouchers, statement.points, statement.amount_minor) == (2, 14, 168)
        with all_communities():
            assert len(db.session.scalars(select(ClosedMonth).where(ClosedMonth.community_id == cid)).all()) == 1
        db.session.remove()
    sender.close()

"""The real server: gunicorn with deploy/gunicorn.conf.py on the suite's database (SQLite file,
threads; or the throwaway PostgreSQL as the app role, gevent).

Checks what only a multi-process server shows: /metrics adds up every worker's samples
(PROMETHEUS_MULTIPROC_DIR), and gunicorn's own log lines are JSON like the app's. On
PostgreSQL, that a gevent worker serves others while a request waits on the database, and
refuses to start when it could not.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="gevent serves PostgreSQL only")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def _healthz_count(base):
    _status, body = _get(base + "/metrics")
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if (s.name == "linli_http_request_duration_seconds_count"
                    and s.labels.get("route") == "/healthz"):
                return s.value
    return 0.0


def _environment(app, tmp_path, port, **settings):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "gunicorn-test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "LOG_FORMAT": "json",
        **settings,
    }


def _read_member(base, world, timeout=10):
    member = f"{base}/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}"
    request = urllib.request.Request(
        member, headers={"Authorization": f"Bearer {world.tokens['c1_admin']}"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _wait_ready(server, base, log_path):
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, log_path.read_text()[-2000:]
        try:
            if _get(base + "/readyz", timeout=1)[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "gunicorn did not become ready"
        time.sleep(0.2)


def test_gunicorn_workers_share_metrics_and_log_json(app, world, tmp_path):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    env = _environment(app, tmp_path, port, GUNICORN_WORKERS="2", GUNICORN_THREADS="2")
    stderr = (tmp_path / "gunicorn.err").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(server, base, tmp_path / "gunicorn.err")

        # both workers must have booted (each writes its own sample files)
        deadline = time.monotonic() + 30
        while len({p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("*.db")}) < 2:
            assert time.monotonic() < deadline, sorted(p.name for p in metrics_dir.iterdir())
            time.sleep(0.2)

        # a tenant read through the real server: on PostgreSQL it works only if the process
        # hands the community to row-level security (nothing in a server ran the guards)
        assert _read_member(base, world)["account_kind"] == "red"

        before = _healthz_count(base)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _i: _get(base + "/healthz")[0], range(60)))
        assert statuses == [200] * 60
        # whichever worker answers the scrape, it reports every worker's requests
        assert [_healthz_count(base) for _ in range(6)] == [before + 60] * 6
    finally:
        server.terminate()
        server.wait(timeout=30)
        stderr.close()
    assert server.returncode == 0
    lines = (tmp_path / "gunicorn.err").read_text().splitlines()
    parsed = [json.loads(line) for line in lines if line.strip()]
    assert {"gunicorn.error", "linli.access"} <= {p["logger"] for p in parsed}
    booted = [p for p in parsed if p["message"].startswith("Booting worker")]
    assert len(booted) >= 2


def _waits_on_a_lock(connection) -> bool:
    waiting = connection.execute(text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'api_tokens'::regclass"
    )).scalar()
    connection.rollback()  # a transaction sees one snapshot of the lock table
    return bool(waiting)


@postgresql_only
def test_gevent_worker_serves_others_while_a_request_waits_on_postgresql(app, world, tmp_path):
    """One gevent process: a request stuck behind a table lock must not hold up the next one.
    It would if psycopg waited for PostgreSQL outside gevent's loop."""
    port = _free_port()
    env = _environment(app, tmp_path, port, GUNICORN_WORKERS="1")
    log = tmp_path / "gunicorn.err"
    owner = create_engine(os.environ["LINLI_TEST_PG_OWNER_URL"], poolclass=NullPool)
    with log.open("w") as stderr:
        server = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(server, base, log)
            with owner.connect() as lock, owner.connect() as watch, ThreadPoolExecutor(1) as pool:
                # every API request looks its token up first
                lock.execute(text("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE"))
                stuck = pool.submit(_read_member, base, world, 60)
                deadline = time.monotonic() + 20
                while not _waits_on_a_lock(watch):
                    assert time.monotonic() < deadline, "the request never waited on the lock"
                    time.sleep(0.05)

                assert _get(base + "/readyz", timeout=5)[0] == 200
                assert not stuck.done()  # answered while the other still waited
                lock.rollback()
                assert stuck.result(timeout=30)["account_kind"] == "red"
        finally:
            server.terminate()
            server.wait(timeout=30)
            owner.dispose()
    assert server.returncode == 0
    assert "gevent" in log.read_text()  # gunicorn names the worker class when it boots


@postgresql_only
def test_gevent_worker_refuses_to_start_when_psycopg_came_first(app, tmp_path):
    """--preload imports the app, and so psycopg, in gunicorn's master, before the worker's
    gevent patches anything: psycopg would wait outside the loop, one query at a time."""
    env = _environment(app, tmp_path, _free_port(), GUNICORN_WORKERS="1")
    result = subprocess.run(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--preload", "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "psycopg was imported before gevent patched the worker" in result.stderr

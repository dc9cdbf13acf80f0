"""The real server: gunicorn with deploy/gunicorn.conf.py, two worker processes, on the
suite's database (SQLite file or the throwaway PostgreSQL as the app role).

Checks what only a multi-process server shows: /metrics adds up every worker's samples
(PROMETHEUS_MULTIPROC_DIR), and gunicorn's own log lines are JSON like the app's.
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

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


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


def test_gunicorn_workers_share_metrics_and_log_json(app, world, tmp_path):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "gunicorn-test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_FORMAT": "json",
    }
    stderr = (tmp_path / "gunicorn.err").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.err").read_text()[-2000:]
            try:
                if _get(base + "/readyz", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not become ready"
            time.sleep(0.2)

        # both workers must have booted (each writes its own sample files)
        deadline = time.monotonic() + 30
        while len({p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("*.db")}) < 2:
            assert time.monotonic() < deadline, sorted(p.name for p in metrics_dir.iterdir())
            time.sleep(0.2)

        # a tenant read through the real server: on PostgreSQL it works only if the process
        # hands the community to row-level security (nothing in a server ran the guards)
        member = f"{base}/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}"
        request = urllib.request.Request(
            member, headers={"Authorization": f"Bearer {world.tokens['c1_admin']}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["account_kind"] == "red"

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

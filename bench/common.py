"""Helpers for bench scripts (the contract is in bench/README.md).

A script runs as ``python bench/<name>.py`` with ``LINLI_BENCH_PG_OWNER_URL`` and
``LINLI_BENCH_PG_APP_URL`` set (``scripts/bench.sh`` does it), and prints ``BENCH`` lines
with ``report()``. Import this module first: it puts the repo on ``sys.path``.
"""

import contextlib
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TARGET = re.compile(r"^(>=|<=|>|<)\d+(\.\d+)?$")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def owner_url() -> str:
    return os.environ["LINLI_BENCH_PG_OWNER_URL"]


def app_url() -> str:
    return os.environ["LINLI_BENCH_PG_APP_URL"]


def libpq(url: str) -> str:
    """The SQLAlchemy URL as psycopg takes it (for raw-SQL baselines)."""
    return "postgresql://" + url.split("://", 1)[1]


def create_bench_app(config: dict | None = None, world: bool = False):
    """An app on the bench database, schema built as in tests/conftest.py (the models plus
    the database guards, as the owner; the app connects as the non-owner role, so row-level
    security is in force). The schema is emptied first: every script starts clean.

    Returns ``app``, or ``(app, world)`` with ``world=True`` (the test world of
    tests/world.py, committed: communities c1-c3, their people, merchants, tokens)."""
    from sqlalchemy import create_engine

    from core.app import create_app
    from core.database_guards import apply_guards
    from core.extensions import db

    owner = create_engine(owner_url())
    with owner.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    app = create_app({
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": app_url(),
        "MIGRATIONS_DATABASE_URL": owner_url(),
        "DATABASE_APP_ROLE": "linli_app",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",  # a line per request would measure the terminal
        **(config or {}),
    })
    with app.app_context():
        with owner.begin() as conn:
            db.metadata.create_all(conn)
            apply_guards(conn)
        owner.dispose()
        if not world:
            return app
        from tests.world import build_world

        return app, build_world()


@dataclass
class Timing:
    latencies: list = field(default_factory=list)  # seconds, one per successful call
    elapsed: float = 0.0
    errors: int = 0
    first_error: BaseException | None = None

    @property
    def calls(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.calls / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float) -> float:
        """The q-th percentile latency in milliseconds."""
        return percentile(self.latencies, q) * 1000


def run_threads(fn: Callable[[int], object], threads: int = 8, calls: int | None = None,
                duration: float | None = None, warmup: int = 5) -> Timing:
    """Call ``fn(i)`` from ``threads`` threads at once, ``calls`` times each or for
    ``duration`` seconds; each thread first makes ``warmup`` untimed calls. An exception
    counts as an error (the first is kept), not as a latency."""
    if (calls is None) == (duration is None):
        raise ValueError("give calls or duration")
    timing = Timing()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def worker(n: int):
        for i in range(warmup):
            _call(fn, n * 1_000_000 + i, None, lock)
        start.wait()
        mine = Timing()
        deadline = time.perf_counter() + duration if duration else None
        i = 0
        while (calls is not None and i < calls) or (deadline and time.perf_counter() < deadline):
            _call(fn, n * 1_000_000 + warmup + i, mine, lock)
            i += 1
        with lock:
            timing.latencies += mine.latencies
            timing.errors += mine.errors
            timing.first_error = timing.first_error or mine.first_error

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    timing.elapsed = time.perf_counter() - began
    return timing


def _call(fn, i, timing, lock):
    began = time.perf_counter()
    try:
        fn(i)
    except Exception as exc:  # counted, and the first one kept for the report
        if timing is not None:
            timing.errors += 1
            timing.first_error = timing.first_error or exc
        return
    if timing is not None:
        timing.latencies.append(time.perf_counter() - began)


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; 0.0 when empty."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def report(name: str, value: float, unit: str, target: str | None = None,
           ratio: float | None = None) -> str:
    """Print one result line: ``BENCH <name> <value> <unit> target=<target> ratio=<ratio>``.

    ``target`` is ``">=500"``, ``"<=20"`` (also ``>``/``<``) or None; ``ratio`` is this
    figure over the same work in raw SQL, where the script measured one."""
    if " " in name or " " in unit:
        raise ValueError("name and unit are single words")
    if target is not None and not _TARGET.match(target):
        raise ValueError(f"target {target!r}: write it as >=N, <=N, >N or <N")
    line = (f"BENCH {name} {value:.6g} {unit} target={target or '-'} "
            f"ratio={'-' if ratio is None else format(ratio, '.4g')}")
    print(line, flush=True)
    return line



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(workers: int = 2, threads: int = 4, env: dict | None = None):
    """gunicorn with deploy/gunicorn.conf.py on the bench database; yields its base URL.

    Build the schema first (``create_bench_app``) if the requests need tables."""
    port = free_port()
    log = open(os.environ.get("LINLI_BENCH_LOG", os.devnull), "a")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, stdout=log, stderr=log,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app_url(),
             "MIGRATIONS_DATABASE_URL": owner_url(), "DATABASE_APP_ROLE": "linli_app",
             "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
             "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
             "GUNICORN_THREADS": str(threads), **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start in 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()

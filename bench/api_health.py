"""/readyz through the real server (gunicorn, 2 workers x 4 threads, app role on PostgreSQL),
against `SELECT 1` straight through psycopg from as many threads: the cost of the whole web
stack around one round trip to the database."""

import http.client
import threading
from urllib.parse import urlsplit

import common  # noqa: F401  (puts the repo on sys.path)
import psycopg
from common import app_url, gunicorn_server, libpq, report, run_threads

THREADS = 8
SECONDS = 5


def raw_sql_baseline():
    local = threading.local()

    def select_one(_i):
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(libpq(app_url()), autocommit=True)
        local.conn.execute("SELECT 1").fetchone()

    return run_threads(select_one, threads=THREADS, duration=SECONDS)


def through_gunicorn(base):
    host, port = urlsplit(base).hostname, urlsplit(base).port
    local = threading.local()

    def readyz(_i):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, port, timeout=10)
        local.conn.request("GET", "/readyz")
        response = local.conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"/readyz answered {response.status}")

    return run_threads(readyz, threads=THREADS, duration=SECONDS)


def main():
    raw = raw_sql_baseline()
    with gunicorn_server(workers=2, threads=4) as base:
        web = through_gunicorn(base)
    if web.errors:
        raise SystemExit(f"{web.errors} failed requests, first: {web.first_error!r}")
    report("readyz_throughput", web.per_second, "req/s", target=">=200",
           ratio=web.per_second / raw.per_second)
    report("readyz_p95", web.ms(95), "ms", target="<=50", ratio=web.ms(95) / raw.ms(95))
    report("select1_raw_throughput", raw.per_second, "q/s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Closing a month: 1,000,000 redemptions across 100 communities and 200 merchants.

    scripts/bench.sh settlement        (or: LINLI_BENCH_PG_*_URL=... python bench/settlement.py)

Loads redeemed vouchers with set-based SQL (``generate_series``, as the schema owner with the
cross-community setting on): ``--small`` (250,000) in one month and ``--large`` (1,000,000) in
the next, each spread over every community and merchant (20,000 statements of 50 vouchers at
1,000,000), with points and point values that vary per voucher. Then closes each month in a
fresh process, as the app does it (``do_close_month``: the app's role, row-level security on,
one transaction per community), and reports for each size the wall time and the closing
process's peak memory (``ru_maxrss``, with what it was before the close began) and the CPU
the close cost (its own and PostgreSQL's: the machine may be shared). Memory must not grow with redemptions: the vouchers never leave PostgreSQL. The
totals are checked against the vouchers before anything is reported.

To load fast, the vouchers' foreign keys to members, ledger transactions and offers are
dropped first (closing reads none of those tables; the lines' keys to vouchers and statements
stay, and are checked as the close inserts).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import common  # noqa: F401  (puts the repo on sys.path)
from common import app_url, libpq, owner_url, report

COMMUNITIES, MERCHANTS = 100, 200
SMALL_MONTH, LARGE_MONTH = "2024-02", "2024-03"
TARGET_SECONDS = 60


def load(conn, month: str, count: int, offset: int) -> None:
    """``count`` redeemed vouchers in ``month`` (Shanghai time), spread over every community
    and merchant of the bench."""
    conn.execute(f"""
        WITH c AS (SELECT id, row_number() OVER (ORDER BY slug) - 1 AS n FROM communities WHERE slug LIKE 'bench-c%'),
             m AS (SELECT id, row_number() OVER (ORDER BY slug) - 1 AS n FROM merchants WHERE slug LIKE 'bench-m%')
        INSERT INTO vouchers (community_id, id, merchant_id, offer_id, member_id, transaction_id, status,
            code_tail, title, kind, points, refund_on_expiry, cancellable, valid_from, valid_until,
            holder_masked, claim_month, created_at, redeemed_at, point_value_minor, currency, settlement_month)
        SELECT c.id, gen_random_uuid(), m.id, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'redeemed',
            lpad(to_hex(g % 65536), 4, '0'), 'Bench voucher', 'voucher', 10 + g % 91, true, true,
            timestamptz '{month}-01 00:00+08' - interval '30 days', timestamptz '{month}-01 00:00+08' + interval '90 days',
            '王*姨', '{month}', timestamptz '{month}-01 00:00+08',
            timestamptz '{month}-01 00:00+08' + (g % 27) * interval '1 day' + (g % 86400) * interval '1 second',
            5 + g % 17, 'CNY', '{month}'
        FROM generate_series({offset}, {offset + count - 1}) AS g
        JOIN c ON c.n = g % {COMMUNITIES}
        JOIN m ON m.n = (g / {COMMUNITIES}) % {MERCHANTS}
    """)


def build(sizes: dict) -> None:
    import psycopg

    from core.ids import new_id

    with psycopg.connect(libpq(owner_url()), autocommit=True) as conn:
        conn.execute("SELECT set_config('app.all_communities', 'on', false)")
        for name, definition in conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'vouchers'::regclass AND contype = 'f'").fetchall():
            if "members" in definition or "ledger_transactions" in definition or "offers" in definition:
                conn.execute(f"ALTER TABLE vouchers DROP CONSTRAINT {name}")
        district = new_id()
        conn.execute("INSERT INTO districts (id, slug, name, created_at) VALUES (%s, 'bench-d', 'Bench', now())",
                     (district,))
        conn.execute("""INSERT INTO communities (id, slug, name, district_id, timezone, currency, settings, created_at)
                        SELECT gen_random_uuid(), 'bench-c' || lpad(n::text, 3, '0'), 'Bench community ' || n,
                               %s, 'Asia/Shanghai', 'CNY', '{}', now()
                        FROM generate_series(1, %s) n""", (district, COMMUNITIES))
        conn.execute("""INSERT INTO merchants (id, slug, name, status, created_at)
                        SELECT gen_random_uuid(), 'bench-m' || lpad(n::text, 3, '0'), 'Bench merchant ' || n,
                               'active', now()
                        FROM generate_series(1, %s) n""", (MERCHANTS,))
        offset = 0
        for month, count in sizes.items():
            began = time.perf_counter()
            load(conn, month, count, offset)
            offset += count
            print(f"loaded {count:,} redemptions in {month} in {time.perf_counter() - began:.1f} s", flush=True)
        conn.execute("VACUUM ANALYZE vouchers")


def _stat(pid) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def postgres_cpu() -> float:
    """CPU seconds the bench's PostgreSQL has used so far: the postmaster with the children it
    reaped (cutime, cstime) and those still running. The machine may be shared, so wall time
    alone says little: CPU shows the work the close asks of the database."""
    directory = os.environ.get("LINLI_BENCH_PG_DIR")
    if not directory:
        return 0.0
    with open(os.path.join(directory, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    ticks = sum(int(v) for v in _stat(postmaster)[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _stat(entry)
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def close_in_this_process(month: str) -> dict:
    """The child: close ``month`` as the app does, and say how long and how much memory."""
    import resource

    from core.app import create_app
    from merchants.settlement.closing import do_close_month

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": app_url(),
                      "RATELIMIT_STORAGE_URI": "memory://", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from core.extensions import db

        db.session.connection()  # warm the pool: the connection is not the close
        db.session.rollback()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        pg_before, own_before = postgres_cpu(), resource.getrusage(resource.RUSAGE_SELF)
        began = time.perf_counter()
        done = do_close_month(month)
        seconds = time.perf_counter() - began
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        pg_seconds = postgres_cpu() - pg_before
        app_seconds = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "pg_cpu": pg_seconds, "app_cpu": app_seconds, "maxrss_kb": rss, "rss_before_kb": rss_before,
            "statements": sum(c.statements for c in done), "vouchers": sum(c.vouchers for c in done),
            "communities": len(done)}


def close_in_a_child(month: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--close", month], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(common.ROOT)}, timeout=900)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"closing {month} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def check(month: str, result: dict, expected: int) -> None:
    """The statements add up to the vouchers, exactly."""
    import psycopg

    with psycopg.connect(libpq(owner_url())) as conn:
        conn.execute("SELECT set_config('app.all_communities', 'on', false)")
        vouchers = conn.execute(
            "SELECT count(*), sum(points), sum(points * point_value_minor) FROM vouchers WHERE settlement_month = %s",
            (month,)).fetchone()
        statements = conn.execute(
            "SELECT sum(vouchers), sum(points), sum(amount_minor), count(*) FROM settlement_statements WHERE month = %s",
            (month,)).fetchone()
        lines = conn.execute(
            "SELECT count(*), sum(l.amount_minor) FROM settlement_lines l JOIN settlement_statements s "
            "ON s.community_id = l.community_id AND s.id = l.statement_id WHERE s.month = %s", (month,)).fetchone()
    assert vouchers[0] == expected == result["vouchers"], (vouchers, result)
    assert tuple(statements[:3]) == tuple(vouchers), (statements, vouchers)
    assert lines == (vouchers[0], vouchers[2]), (lines, vouchers)
    assert statements[3] == COMMUNITIES * MERCHANTS == result["statements"], statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--close", help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.close:
        print(json.dumps(close_in_this_process(args.close)))
        return

    from common import create_bench_app

    create_bench_app({"LOG_LEVEL": "WARNING"})
    build({SMALL_MONTH: args.small, LARGE_MONTH: args.large})
    results = {}
    for name, month, count in (("small", SMALL_MONTH, args.small), ("large", LARGE_MONTH, args.large)):
        result = close_in_a_child(month)
        check(month, result, count)
        results[name] = result
        print(f"{name}: {count:,} redemptions, {result['statements']:,} statements in "
              f"{result['communities']} communities: {result['seconds']:.1f} s "
              f"(CPU: PostgreSQL {result['pg_cpu']:.1f} s, app {result['app_cpu']:.1f} s), "
              f"peak RSS {result['maxrss_kb'] / 1024:.1f} MiB (before closing {result['rss_before_kb'] / 1024:.1f} MiB)",
              flush=True)
    small, large = results["small"], results["large"]
    report("settle_close_1m_seconds", large["seconds"], "s", target=f"<{TARGET_SECONDS}")
    report("settle_close_1m_rate", args.large / large["seconds"], "redemptions/s")
    report("settle_close_250k_seconds", small["seconds"], "s")
    # CPU, which a busy shared machine does not inflate: if the close had the machine to itself
    report("settle_close_1m_cpu_seconds", large["pg_cpu"] + large["app_cpu"], "s", target=f"<{TARGET_SECONDS}")
    report("settle_close_250k_cpu_seconds", small["pg_cpu"] + small["app_cpu"], "s")
    report("settle_peak_rss_1m", large["maxrss_kb"] / 1024, "MiB")
    report("settle_peak_rss_250k", small["maxrss_kb"] / 1024, "MiB")
    # memory that grows with redemptions would show here: 4x the vouchers, about 1x the memory
    report("settle_peak_memory_growth", large["maxrss_kb"] / small["maxrss_kb"], "x_for_4x_vouchers",
           target="<1.5")


if __name__ == "__main__":
    main()

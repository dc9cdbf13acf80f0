"""The district dashboard on a big district: 50 communities, 200,000 residents and 10 million
ledger postings (at ``--scale 1``), on PostgreSQL with row-level security in force.

The data is generated set-based (INSERT ... SELECT generate_series) as the schema owner, with
``app.all_communities`` on for the loading session (RLS is FORCE'd on tenant tables, for the
owner too). Then the roll-ups are built by the same function Celery runs every minute, and
the page is requested as the district's admin through the app (the app role, RLS on).

    python bench/dashboard.py [--scale 0.1] [--runs 10]

At ``--scale s`` there are 200,000 x s residents and 10,000,000 x s postings (still 50
communities); the figures printed are for the scale run (the name says it), and
``BENCH district_dashboard_p50`` is what the target applies to.
"""

import argparse
import os
import time

# 51 admins' passwords would take a minute with the production hash; the bench is not about it.
os.environ.setdefault("LINLI_FAST_PASSWORD_HASH", "1")

import common  # noqa: F401  (puts the repo on sys.path)
import psycopg
from common import create_bench_app, libpq, owner_url, percentile, report

COMMUNITIES = 50
RESIDENTS = 200_000
POSTINGS = 10_000_000
MONTHS = 24
PASSWORD = "bench-pass-1"


def build_district(app):
    from core.districts.actions import (
        do_create_community,
        do_create_district,
        do_create_district_admin,
    )
    from core.extensions import db
    from core.identity.actions import do_create_user
    from core.transactions import atomic

    with app.app_context():
        with atomic():
            platform = do_create_user("bench-platform", PASSWORD, "Platform", platform_admin=True)
        district = do_create_district("bench-district", "基准街道", platform)
        do_create_district_admin(district, "bench-district-admin", PASSWORD, "街道管理员", platform)
        for i in range(COMMUNITIES):
            do_create_community(district, slug=f"bench-c{i:02d}", name=f"第{i + 1}社区",
                                admin={"login": f"bench-c{i:02d}-admin", "password": PASSWORD,
                                       "name": f"第{i + 1}社区管理员"}, actor=platform)
        district_id = district.id
        db.session.remove()
    return district_id


LOAD_SQL = """
SELECT set_config('app.all_communities', 'on', false);
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
CREATE TEMP TABLE bc AS
  SELECT (row_number() OVER (ORDER BY slug) - 1)::int AS idx, id FROM communities WHERE district_id = %(district)s;
CREATE TEMP TABLE bp AS
  SELECT g, c.id AS community_id, gen_random_uuid() AS user_id, gen_random_uuid() AS member_id,
         gen_random_uuid() AS wallet_id,
         CASE WHEN g %% 20 < 3 THEN 'red' WHEN g %% 20 = 3 THEN 'green' ELSE 'blue' END AS kind,
         (g / {communities}) + 2 AS number
  FROM generate_series(0, %(residents)s - 1) g JOIN bc c ON c.idx = g %% {communities};
CREATE UNIQUE INDEX ON bp (g);
INSERT INTO users (id, created_at, login, phone, name, password_hash, locale, is_platform_admin, active, auth_epoch)
  SELECT user_id, now() - interval '800 days', 'bench-r' || g, NULL, '居民' || g, '!no-password', NULL, false, true, 0 FROM bp;
INSERT INTO members (community_id, id, created_at, user_id, role, account_kind, name, number, active)
  SELECT community_id, member_id, now() - random() * interval '760 days', user_id, 'resident', kind,
         '居民' || g, number, true FROM bp;
CREATE TEMP TABLE bacc AS
  SELECT id AS community_id, gen_random_uuid() AS issuance, gen_random_uuid() AS shop,
         gen_random_uuid() AS expired, gen_random_uuid() AS merchant, gen_random_uuid() AS merchant_id FROM bc;
INSERT INTO ledger_accounts (community_id, id, created_at, kind, key, member_id, merchant_id, balance)
  SELECT community_id, issuance, now(), 'issuance', 'issuance', NULL::uuid, NULL::uuid, 0 FROM bacc
  UNION ALL SELECT community_id, shop, now(), 'shop', 'shop', NULL, NULL, 0 FROM bacc
  UNION ALL SELECT community_id, expired, now(), 'expired', 'expired', NULL, NULL, 0 FROM bacc
  UNION ALL SELECT community_id, merchant, now(), 'merchant', 'merchant:' || merchant_id, NULL, merchant_id, 0 FROM bacc
  UNION ALL SELECT community_id, wallet_id, now(), 'wallet', 'wallet:' || member_id, member_id, NULL, 0 FROM bp;
CREATE TEMP TABLE bt AS
  SELECT lpad(to_hex(2 * x.t), 32, '0')::uuid AS id, p.community_id, p.member_id, p.wallet_id,
         CASE WHEN x.r < 0.55 THEN 'award' WHEN x.r < 0.85 THEN 'spend' WHEN x.r < 0.95 THEN 'merchant' ELSE 'expiry' END AS kind,
         x.t, x.at
  FROM (SELECT t, random() AS r,
               now() - interval '1 day' - random() * interval '{days} days' AS at
        FROM generate_series(1, %(transactions)s) t) x
  JOIN bp p ON p.g = (x.t::bigint * 7919) %% %(residents)s;
INSERT INTO ledger_transactions (community_id, id, created_at, kind, reason, actor_id, member_id, cause_type,
                                 cause_id, idempotency_key, fingerprint, reverses_id)
  SELECT community_id, id, at, CASE kind WHEN 'merchant' THEN 'spend' ELSE kind END, 'bench', NULL, member_id,
         NULL, NULL, NULL, md5(id::text), NULL FROM bt ORDER BY t;
CREATE TEMP TABLE bleg AS
  SELECT bt.t, bt.community_id, bt.id AS transaction_id, bt.at, bt.wallet_id,
         CASE bt.kind WHEN 'award' THEN a.issuance WHEN 'spend' THEN a.shop WHEN 'merchant' THEN a.merchant ELSE a.expired END AS counter,
         CASE bt.kind WHEN 'award' THEN 2 + bt.t %% 19 WHEN 'spend' THEN -(1 + bt.t %% 8)
              WHEN 'merchant' THEN -(2 + bt.t %% 9) ELSE -(1 + bt.t %% 3) END AS amount
  FROM bt JOIN bacc a ON a.community_id = bt.community_id;
INSERT INTO ledger_postings (community_id, id, created_at, transaction_id, account_id, amount, balance_after, expires_at)
  SELECT community_id, id, at, transaction_id, account_id, amount, NULL::bigint, NULL::timestamptz FROM (
    SELECT community_id, t, 0 AS leg, lpad(to_hex(4 * t), 32, '0')::uuid AS id, at, transaction_id,
           wallet_id AS account_id, amount FROM bleg
    UNION ALL
    SELECT community_id, t, 1, lpad(to_hex(4 * t + 1), 32, '0')::uuid, at, transaction_id, counter, -amount FROM bleg
  ) legs ORDER BY t, leg;
UPDATE ledger_accounts la SET balance = GREATEST(s.total, 0)
  FROM (SELECT wallet_id, sum(amount) AS total FROM bleg GROUP BY wallet_id) s
  WHERE la.id = s.wallet_id AND la.kind = 'wallet';
ANALYZE;
"""


def ledger_constraints():
    """The secondary indexes and foreign keys of the two big ledger tables, as the models
    define them: (drop, create) statements. They are dropped before the bulk load and made
    again after it: a sorted index build and one validating join, instead of ten million
    random index inserts and row-locking foreign-key checks. Primary keys and unique
    constraints stay throughout."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import AddConstraint, CreateIndex

    from core.ledger.models import LedgerPosting, LedgerTransaction

    dialect = postgresql.dialect()
    name = dialect.identifier_preparer.format_constraint  # long names truncated as when created
    out = []
    for table in (LedgerPosting.__table__, LedgerTransaction.__table__):
        for fk in table.foreign_key_constraints:
            out.append((f"ALTER TABLE {table.name} DROP CONSTRAINT {name(fk)}",
                        str(AddConstraint(fk).compile(dialect=dialect))))
        for index in table.indexes:
            out.append((f"DROP INDEX {name(index)}", str(CreateIndex(index).compile(dialect=dialect))))
    return out


def load(district_id, scale: float) -> dict:
    residents = max(COMMUNITIES, int(RESIDENTS * scale))
    transactions = int(POSTINGS * scale) // 2
    sql = LOAD_SQL.format(communities=COMMUNITIES, days=MONTHS * 30)
    constraints = ledger_constraints()
    began = time.perf_counter()
    with psycopg.connect(libpq(owner_url()), autocommit=True) as conn:
        for drop, _create in constraints:
            conn.execute(drop)
        for statement in [s.strip() for s in sql.split(";\n") if s.strip()]:
            step = time.perf_counter()
            conn.execute(statement, {"district": district_id, "residents": residents,
                                     "transactions": transactions})
            print(f"  {time.perf_counter() - step:7.1f} s  {' '.join(statement.split())[:70]}", flush=True)
        for _drop, create in constraints:
            step = time.perf_counter()
            conn.execute(create)
            print(f"  {time.perf_counter() - step:7.1f} s  {' '.join(create.split())[:70]}", flush=True)
        for table in ("ledger_postings", "ledger_transactions", "ledger_accounts", "members", "users"):
            conn.execute(f"VACUUM (ANALYZE) {table}")  # and autovacuum has nothing left to do later
        postings = conn.execute("SELECT count(*) FROM ledger_postings").fetchone()[0]
        members = conn.execute("SELECT count(*) FROM members WHERE role = 'resident'").fetchone()[0]
    return {"seconds": time.perf_counter() - began, "postings": postings, "residents": members}


def timed(fn, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--measure-only", action="store_true",
                        help="the data of an earlier run is still there: only measure again")
    args = parser.parse_args()

    if args.measure_only:
        from core.app import create_app

        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": common.app_url(),
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                          "LOG_LEVEL": "WARNING"})
        loaded, first_rollup = None, None
    else:
        app = create_bench_app({"WTF_CSRF_ENABLED": False})
        district_id = build_district(app)
        loaded = load(district_id, args.scale)
        print(f"loaded {loaded['residents']} residents and {loaded['postings']} postings in "
              f"{loaded['seconds']:.0f} s", flush=True)

    from core.figures.rollup import roll_up

    with app.app_context():
        if not args.measure_only:
            began = time.perf_counter()
            roll_up()
            first_rollup = time.perf_counter() - began
            with psycopg.connect(libpq(owner_url()), autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
        began = time.perf_counter()
        roll_up()
        idle_rollup = time.perf_counter() - began

    client = app.test_client()
    response = client.post("/login", data={"login": "bench-district-admin", "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code

    def page():
        r = client.get("/d/bench-district/dashboard")
        assert r.status_code == 200, r.status_code

    with app.app_context():
        from core.extensions import db
        from core.identity.actions import do_issue_token, find_user_by_login

        token, _row = do_issue_token(find_user_by_login("bench-district-admin"))
        db.session.remove()
    api_client = app.test_client()

    def api():
        r = api_client.get("/api/v1/districts/bench-district/figures",
                           headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.status_code

    page()  # warm: templates compiled, connections open
    times = timed(page, args.runs)
    api_times = timed(api, args.runs)
    tag = "" if args.scale == 1 else f"_scale{args.scale:g}".replace(".", "_")
    report(f"district_dashboard_p50{tag}", percentile(times, 50) * 1000, "ms", target="<=500")
    report(f"district_dashboard_p95{tag}", percentile(times, 95) * 1000, "ms")
    report(f"district_figures_api_p50{tag}", percentile(api_times, 50) * 1000, "ms", target="<=500")
    report(f"rollup_idle_run{tag}", idle_rollup * 1000, "ms")
    if loaded is not None:
        report(f"rollup_first_run{tag}", first_rollup, "s")
        report(f"load_postings{tag}", loaded["postings"], "postings")
        report(f"load_seconds{tag}", loaded["seconds"], "s")


if __name__ == "__main__":
    main()

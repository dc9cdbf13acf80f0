#!/usr/bin/env python3
"""Counter redemptions per second: through HTTP, and the same SQL work done directly.

    .venv/bin/python bench/redeem.py [--clients 16] [--codes 3000] [--worker-class gthread --workers 5 --threads 4]

Starts a throwaway PostgreSQL 15 (scripts/testdb.sh; or uses LINLI_BENCH_PG_OWNER_URL and
LINLI_BENCH_PG_APP_URL), builds a community, a partner merchant with a counter login and
vouchers claimed through the real claim action, then:

1. HTTP: gunicorn on loopback serving the app as deployed (deploy/gunicorn.conf.py; as the
   non-owner role, row-level security on);
   ``--clients`` threads, each on a keep-alive connection, POST
   ``/api/v1/merchants/<m>/redemptions`` with distinct codes as fast as they are answered;
2. SQL: the same number of threads, each with its own psycopg connection (the same role),
   run the statements one such request runs, in one transaction each: token and user,
   merchant membership, the merchant scope (RLS settings), the voucher lookup, the
   settlement month's shared lock and closed-month check, the guarded UPDATE, the audit
   row, COMMIT.

Prints ``BENCH <name> <value> <unit> target=<target> ratio=<ratio or ->`` lines: both rates,
their ratio (target >= 0.30) and the HTTP p99 latency (target < 100 ms); and, because the
rates depend on whatever else the machine runs, the CPU each side spends per redemption
(app, PostgreSQL and client processes, from /proc) and the ratio those imply when the
redemptions alone have the machine (``redeem_cpu_ratio``).
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_FAST_PASSWORD_HASH", "1")  # only the bench's own logins

PASSWORD = "bench-pass-1"
TARGET_RATIO = 0.30
TARGET_P99_MS = 100.0


# --- PostgreSQL ------------------------------------------------------------------------------


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def children_of(pid) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def postgres_pids(pgdir) -> list[int]:
    """The backends serving the app's role in our own cluster (not autovacuum, checkpoints
    and the like, which would charge the build's after-effects to whichever run came first)."""
    if not pgdir:
        return []
    try:
        with open(os.path.join(pgdir, "data", "postmaster.pid")) as f:
            master = int(f.readline())
    except (OSError, ValueError):
        return []
    backends = []
    for pid in children_of(master):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"linli_app" in f.read():
                    backends.append(pid)
        except OSError:
            pass
    return backends


def settle(owner_url):
    """Vacuum and analyse after the build, so neither run pays for the other's leftovers."""
    from sqlalchemy import create_engine

    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def start_postgres():
    owner, app_url = os.environ.get("LINLI_BENCH_PG_OWNER_URL"), os.environ.get("LINLI_BENCH_PG_APP_URL")
    if owner and app_url:  # scripts/bench.sh's cluster: its directory names the backends to measure
        return owner, app_url, lambda: None, os.environ.get("LINLI_BENCH_PG_DIR")
    work = tempfile.mkdtemp(prefix="linli-bench-")
    os.chmod(work, 0o755)
    pgdir = os.path.join(work, "pg")
    # stderr not captured: the started server inherits it, and a pipe would never close
    out = subprocess.run([str(ROOT / "scripts/testdb.sh"), "start", pgdir], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    env = dict(re.findall(r"^export (\w+)=(.*)$", out, re.M))

    def stop():
        subprocess.run([str(ROOT / "scripts/testdb.sh"), "stop", pgdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    return env["LINLI_TEST_PG_OWNER_URL"], env["LINLI_TEST_PG_APP_URL"], stop, pgdir


def reset_schema(owner_url):
    from sqlalchemy import create_engine

    engine = create_engine(owner_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO linli_app")
    engine.dispose()


def make_app(owner_url, app_url):
    from core.app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": app_url, "MIGRATIONS_DATABASE_URL": owner_url,
        "DATABASE_APP_ROLE": "linli_app", "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
    })


def create_schema(app, owner_url):
    from sqlalchemy import create_engine

    from core.database_guards import apply_guards
    from core.extensions import db

    engine = create_engine(owner_url)
    with app.app_context(), engine.begin() as connection:
        db.metadata.create_all(connection)
        apply_guards(connection)
    engine.dispose()


# --- data: vouchers claimed through the real action -----------------------------------------


def build_world(app, n_codes, residents=40):
    from sqlalchemy import select

    from core.districts.actions import do_create_community, do_create_district
    from core.extensions import db
    from core.identity.actions import do_add_member, do_create_user, do_issue_token
    from core.identity.models import Member, Role, User
    from core.ledger import actions as ledger
    from core.tenancy.access import Actor
    from core.tenancy.context import use_community, use_merchant
    from core.transactions import atomic
    from core.types import utcnow
    from merchants.offers.actions import do_create_offer
    from merchants.partners.access import enter_merchant
    from merchants.partners.actions import do_add_staff, do_create_merchant, do_partner

    tag = uuid.uuid4().hex[:6]
    per_resident = -(-n_codes // residents)
    with app.app_context():
        with atomic():
            platform = do_create_user(f"bench-{tag}-platform", PASSWORD, "platform", platform_admin=True)
        district = do_create_district(f"bench-{tag}", "Bench district", platform)
        community = do_create_community(
            district, slug=f"bench-{tag}", name="Bench community", actor=platform,
            admin={"login": f"bench-{tag}-admin", "password": PASSWORD, "name": "admin"})
        admin = db.session.scalar(select(User).where(User.login == f"bench-{tag}-admin"))
        with use_community(community.id):
            with atomic():
                for i in range(residents):
                    user = do_create_user(f"bench-{tag}-r{i}", PASSWORD, f"居民{i}号", actor=platform)
                    do_add_member(community, user, Role.RESIDENT, actor=platform)
            for member in db.session.scalars(select(Member).where(Member.role == Role.RESIDENT)).all():
                with atomic():
                    ledger.award(community, member, per_resident * 10, reason="bench")
        merchant = do_create_merchant(
            f"bench-{tag}-shop", "Bench noodles",
            {"login": f"bench-{tag}-owner", "password": PASSWORD, "name": "owner"}, platform)
        with use_community(community.id):
            do_partner(Actor(admin, community, None, Role.ADMIN), merchant, 10)
        owner = db.session.scalar(select(User).where(User.login == f"bench-{tag}-owner"))
        with use_merchant(merchant.id):
            actor = enter_merchant(merchant.slug, owner)
            offer = do_create_offer(
                actor, [community], title="Bench noodles 20% off", kind="voucher", points=10,
                valid_from=utcnow() - timedelta(hours=1), valid_until=utcnow() + timedelta(days=1),
                quantity=n_codes, per_member_limit=None)
            staff = do_add_staff(actor, f"bench-{tag}-till", PASSWORD, "till")
        token, _row = do_issue_token(staff)
        ids = dict(community=community.id, offer=offer.id, admin=admin.id, merchant=merchant.slug)
        db.session.remove()
    members = _member_ids(app, ids["community"])

    def claim_batch(batch):
        from core.tenancy.access import Actor as A
        from core.tenancy.models import Community
        from merchants.offers.models import Offer
        from merchants.vouchers.actions import do_claim_voucher

        out = []
        with app.app_context(), use_community(ids["community"]):
            community = db.session.get(Community, ids["community"])
            admin = db.session.get(User, ids["admin"])
            for member_id in batch:
                member = db.session.scalar(select(Member).where(Member.id == member_id))
                offer = db.session.get(Offer, ids["offer"])
                out.append(do_claim_voucher(A(admin, community, None, Role.ADMIN), offer, member).code)
            db.session.remove()
        return out

    wanted = [members[i % len(members)] for i in range(n_codes)]
    batches = [wanted[i::8] for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        codes = [code for chunk in pool.map(claim_batch, batches) for code in chunk]
    return ids["merchant"], token, codes


def _member_ids(app, community_id):
    from sqlalchemy import select

    from core.extensions import db
    from core.identity.models import Member, Role
    from core.tenancy.context import use_community

    with app.app_context(), use_community(community_id):
        ids = list(db.session.scalars(select(Member.id).where(Member.role == Role.RESIDENT)))
        db.session.remove()
    return ids


# --- the two runs ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_env(app_url, port, shape):
    env = {**os.environ, "DATABASE_URL": app_url, "DATABASE_APP_ROLE": "linli_app", "SECRET_KEY": "bench",
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "RATELIMIT_STORAGE_URI": "memory://",
           "GUNICORN_BIND": f"127.0.0.1:{port}",
           # the clients pause while the SQL side runs: keep their connections open meanwhile
           "GUNICORN_KEEPALIVE": "60"}
    for name, value in shape.items():
        if value is not None:
            env[f"GUNICORN_{name.upper()}"] = str(value)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes its own, and removes it
    return env


def gunicorn_settings(env) -> dict:
    """What deploy/gunicorn.conf.py makes of this environment (``--print-config``)."""
    with tempfile.TemporaryDirectory() as metrics:  # the conf would make one and not remove it
        printed = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--print-config", "wsgi:app"],
            cwd=ROOT, env={**env, "PROMETHEUS_MULTIPROC_DIR": metrics}, capture_output=True, text=True, check=True)
    settings = {}
    for line in printed.stdout.splitlines():
        name, equals, value = line.partition(" = ")
        if equals:
            settings[name.strip()] = value.strip()
    return {name: settings[name] for name in ("worker_class", "workers", "threads")}


def start_gunicorn(app_url, shape):
    """gunicorn as deployed: deploy/gunicorn.conf.py (on PostgreSQL, by default, one gevent
    process per CPU), on a free port; ``shape`` overrides its workers, threads, worker class."""
    port = free_port()
    env = gunicorn_env(app_url, port, shape)
    settings = gunicorn_settings(env)
    workers = int(settings["workers"])
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                wait_until_every_worker_booted(process.pid, workers, deadline)
                return process, port, settings
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def wait_until_every_worker_booted(master, workers, deadline):
    """The first worker answering does not mean the others are ready: a client connecting
    while one still builds the app lands on the other, and keeps its keep-alive connection
    there (one run served all 16 clients from one worker, half the server). Booted workers
    sit idle: wait until all are there and none uses CPU."""
    previous = None
    while time.time() < deadline:
        pids = children_of(master)
        used = cpu_seconds(pids)
        if len(pids) == workers and previous is not None and used - previous < 0.02:
            return
        previous = used if len(pids) == workers else None
        time.sleep(0.5)
    raise SystemExit("gunicorn's workers did not all boot")


def run_parallel(clients, jobs, work, states=None):
    """``work(state, job)`` for every job, spread over ``clients`` threads that start
    together, each with its own ``state`` (its connection: pass the same ``states`` to a
    warm-up run and the measured one); returns (elapsed seconds, latencies in seconds,
    failures)."""
    shares = [jobs[i::clients] for i in range(clients)]
    latencies, failures = [[] for _ in range(clients)], [0] * clients
    barrier = threading.Barrier(clients + 1)
    states = states if states is not None else [{} for _ in range(clients)]

    def client(i):
        state = states[i]
        barrier.wait()
        for job in shares[i]:
            start = time.perf_counter()
            ok = work(state, job)
            latencies[i].append(time.perf_counter() - start)
            failures[i] += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return elapsed, sorted(x for lat in latencies for x in lat), sum(failures)


def http_work(port, merchant, token):
    path = f"/api/v1/merchants/{merchant}/redemptions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work(state, code):
        conn = state.get("conn") or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        state["conn"] = conn
        try:
            conn.request("POST", path, body=json.dumps({"code": code}), headers=headers)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            state.pop("conn", None)
            return False
        ok = response.status == 200 and b'"redeemed"' in body
        if not ok and not FIRST_FAILURE:
            FIRST_FAILURE.append(f"{response.status} {body[:300]!r}")
        return ok

    return work


FIRST_FAILURE = []


# The statements one redemption request runs (see the app's SQL log), with the same values.
SQL_SCOPE = ("SELECT set_config('app.community_id', %s, true), set_config('app.merchant_id', %s, true),"
             " set_config('app.all_communities', %s, true)")
SQL_TOKEN = ("SELECT users.*, api_tokens.revoked_at, api_tokens.expires_at FROM users"
             " JOIN api_tokens ON api_tokens.user_id = users.id WHERE api_tokens.token_hash = %s")
SQL_MERCHANT = ("SELECT merchants.*, merchant_users.role FROM merchants JOIN merchant_users"
                " ON merchant_users.merchant_id = merchants.id WHERE merchants.slug = %s AND merchant_users.user_id = %s")
SQL_VOUCHER = (
    "SELECT vouchers.community_id, vouchers.id, vouchers.merchant_id, vouchers.offer_id, vouchers.status,"
    " vouchers.title, vouchers.kind, vouchers.points, vouchers.holder_masked, vouchers.valid_from,"
    " vouchers.valid_until, vouchers.redeemed_at, vouchers.redeemed_by_name, vouchers.point_value_minor,"
    " vouchers.currency, vouchers.settlement_month, partnerships.status AS partnership_status, partnerships.point_value_minor AS value,"
    " partnerships.currency AS value_currency, communities.slug, communities.name AS community_name,"
    " communities.timezone FROM vouchers"
    " JOIN voucher_codes ON voucher_codes.community_id = vouchers.community_id AND voucher_codes.voucher_id = vouchers.id"
    " JOIN partnerships ON partnerships.community_id = vouchers.community_id AND partnerships.merchant_id = vouchers.merchant_id"
    " JOIN communities ON communities.id = vouchers.community_id"
    " WHERE voucher_codes.digest = %s AND voucher_codes.merchant_id = %s AND vouchers.merchant_id = %s")
# the settlement month's shared lock, then whether that month is closed (merchants.settlement.periods)
SQL_MONTH_LOCK = "SELECT pg_advisory_xact_lock_shared(%s)"
SQL_MONTH_CLOSED = "SELECT id FROM settlement_closed_months WHERE community_id = %s AND month = %s"
SQL_UPDATE = (
    "UPDATE vouchers SET status = 'redeemed', redeemed_at = now(), redeemed_by = %s, redeemed_by_name = %s,"
    " point_value_minor = %s, currency = %s, settlement_month = to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    " WHERE vouchers.community_id = %s AND vouchers.id = %s AND vouchers.status = 'issued'"
    " AND vouchers.valid_from <= now() AND vouchers.valid_until > now() AND vouchers.merchant_id = %s")
SQL_AUDIT = ("INSERT INTO audit_events (id, created_at, community_id, merchant_id, actor_id, event, data)"
             " VALUES (%s, now(), %s, %s, %s, 'voucher.redeemed', %s)")


def sql_work(app_url, merchant_slug, token):
    import psycopg

    from core.ids import new_id
    from core.types import utcnow
    from merchants.settlement.periods import lock_key, month_of
    from merchants.vouchers import codes

    dsn = app_url.replace("postgresql+psycopg://", "postgresql://")
    token_hash = hashlib.sha256(token.encode()).hexdigest()

    def one(cur, sql, params):
        cur.execute(sql, params)
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))

    def work(state, code):
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = psycopg.connect(dsn)
        normalised = codes.normalise(code)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(SQL_TOKEN, (token_hash,))
            row = cur.fetchone()
            names = [d.name for d in cur.description]
            user = {"id": row[names.index("id")], "name": row[names.index("name")]}
            merchant = one(cur, SQL_MERCHANT, (merchant_slug, user["id"]))
            cur.execute(SQL_SCOPE, ("", str(merchant["id"]), "off"))
            cur.execute(SQL_VOUCHER, (codes.digest(normalised),) + (merchant["id"],) * 2)
            row = cur.fetchone()
            names = [d.name for d in cur.description]
            voucher_id, community_id = row[names.index("id")], row[names.index("community_id")]
            value = row[names.index("value")]
            month = month_of(utcnow(), row[names.index("timezone")])
            cur.execute(SQL_MONTH_LOCK, (lock_key(community_id, month),))
            cur.execute(SQL_MONTH_CLOSED, (community_id, month))
            if cur.fetchone() is not None:
                raise RuntimeError(f"month {month} closed: the bench never closes one")
            cur.execute(SQL_UPDATE, (user["id"], user["name"], value, "CNY", community_id, voucher_id,
                                     merchant["id"]))
            ok = cur.rowcount == 1
            cur.execute(SQL_AUDIT, (new_id(), community_id, merchant["id"], user["id"],
                                    json.dumps({"voucher": str(voucher_id), "points": row[names.index("points")]})))
        return ok

    return work


def p99(latencies):
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--codes", type=int, default=3000, help="redemptions each way, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP and SQL runs alternate this many times")
    # by default deploy/gunicorn.conf.py's: gevent, one process per CPU (on PostgreSQL)
    parser.add_argument("--worker-class", help="gevent or gthread")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int, help="gthread only")
    args = parser.parse_args()

    owner_url, app_url, stop_pg, pgdir = start_postgres()
    gunicorn = None
    try:
        reset_schema(owner_url)
        app = make_app(owner_url, app_url)
        create_schema(app, owner_url)
        warm = args.clients * 20  # half warms the HTTP run, half the SQL run
        began = time.perf_counter()
        merchant, token, codes = build_world(app, 2 * args.codes + warm)
        print(f"# built {len(codes)} vouchers through the claim action in {time.perf_counter() - began:.1f}s",
              flush=True)
        warmup, http_codes, sql_codes = codes[:warm], codes[warm:warm + args.codes], codes[warm + args.codes:]
        settle(owner_url)

        gunicorn, port, served_by = start_gunicorn(
            app_url, {"worker_class": args.worker_class, "workers": args.workers, "threads": args.threads})
        clients = [{} for _ in range(args.clients)]
        connections = [{} for _ in range(args.clients)]  # each SQL client's own, kept open
        run_parallel(args.clients, warmup[:len(warmup) // 2], http_work(port, merchant, token), clients)
        run_parallel(args.clients, warmup[len(warmup) // 2:], sql_work(app_url, merchant, token), connections)
        app_pids, pg_pids = [gunicorn.pid, *children_of(gunicorn.pid)], postgres_pids(pgdir)
        # The two sides alternate, round by round, so both see the same machine (a VM's speed
        # drifts within minutes); the best rate of each counts, p99 is over every request.
        # CPU per request comes from /proc: it hardly depends on what else the machine runs.
        http_rate = sql_rate = 0.0
        http_lat, sql_lat, http_fail, sql_fail = [], [], 0, 0
        http_cpu, sql_cpu = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
        by_process = {}  # gunicorn's processes: keep-alive connections stay where they landed
        share = args.codes // args.rounds
        for n in range(args.rounds):
            for side, jobs, states, work, cpu, pids in (
                ("http", http_codes, clients, http_work(port, merchant, token), http_cpu, app_pids),
                ("sql", sql_codes, connections, sql_work(app_url, merchant, token), sql_cpu, []),
            ):
                batch = jobs[n * share:(n + 1) * share]
                before = (cpu_seconds(pids), cpu_seconds(pg_pids), time.process_time())
                per_process = {pid: cpu_seconds([pid]) for pid in pids}
                seconds, latencies, failures = run_parallel(args.clients, batch, work, states)
                for i, used in enumerate((cpu_seconds(pids), cpu_seconds(pg_pids), time.process_time())):
                    cpu[i] += used - before[i]
                for pid, used in per_process.items():
                    by_process[pid] = by_process.get(pid, 0.0) + cpu_seconds([pid]) - used
                if side == "http":
                    http_rate, http_fail = max(http_rate, len(batch) / seconds), http_fail + failures
                    http_lat += latencies
                else:
                    sql_rate, sql_fail = max(sql_rate, len(batch) / seconds), sql_fail + failures
                    sql_lat += latencies
        http_lat.sort()
        sql_lat.sort()
        # a stopping gevent worker waits for its open connections (up to graceful_timeout)
        for state in clients + connections:
            if state.get("conn") is not None:
                state["conn"].close()
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        gunicorn = None
        if http_fail or sql_fail:
            print(f"# failures: http {http_fail}, sql {sql_fail}; first: {FIRST_FAILURE[:1]}", flush=True)
        ratio = http_rate / sql_rate
        measured = share * args.rounds
        print(f"# {args.clients} clients, {measured} redemptions each way in {args.rounds} alternating rounds;"
              f" gunicorn {served_by['worker_class']} {served_by['workers']}"
              f"{'x' + served_by['threads'] if served_by['worker_class'] == 'gthread' else ''}; PostgreSQL 15 as the app role (RLS on); {os.cpu_count()} CPUs")
        print(f"BENCH redeem_http {http_rate:.0f} req/s target=- ratio={ratio:.2f}")
        print(f"BENCH redeem_sql {sql_rate:.0f} tx/s target=- ratio=-")
        print(f"BENCH redeem_http_vs_sql {ratio:.2f} ratio target={TARGET_RATIO:.2f} ratio={ratio:.2f}")
        print(f"BENCH redeem_http_p99 {p99(http_lat):.1f} ms target={TARGET_P99_MS:.0f} ratio=-")
        print(f"BENCH redeem_sql_p99 {p99(sql_lat):.1f} ms target=- ratio=-")
        http_ms = [x * 1000 / measured for x in http_cpu]
        sql_ms = [x * 1000 / measured for x in sql_cpu]
        cpu_ratio = sum(sql_ms) / sum(http_ms) if sum(http_ms) else 0
        load = os.getloadavg()[0]
        print(f"# CPU per redemption (app / PostgreSQL / client): HTTP {http_ms[0]:.2f} / {http_ms[1]:.2f}"
              f" / {http_ms[2]:.2f} ms, SQL - / {sql_ms[1]:.2f} / {sql_ms[2]:.2f} ms; load average {load:.1f}")
        print("# CPU seconds by gunicorn process in the HTTP rounds (master first):",
              " ".join(f"{by_process[pid]:.1f}" for pid in app_pids))
        print(f"BENCH redeem_http_cpu {sum(http_ms):.2f} ms/req target=- ratio=-")
        print(f"BENCH redeem_sql_cpu {sum(sql_ms):.2f} ms/tx target=- ratio=-")
        print(f"BENCH redeem_cpu_ratio {cpu_ratio:.2f} ratio target={TARGET_RATIO:.2f} ratio={cpu_ratio:.2f}")
        return 0 if (http_fail == 0 and sql_fail == 0) else 1
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        stop_pg()


if __name__ == "__main__":
    sys.exit(main())

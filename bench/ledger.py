"""Ledger throughput on PostgreSQL: awards and spends through the action layer
(``core.ledger.actions`` inside ``atomic()``, app role, row-level security on) against the
same transaction in raw SQL through psycopg (set the tenant, lock the wallet FOR UPDATE,
insert the transaction and its two postings, update the balance, commit), with 1, 4 and 8
worker processes (or threads, ``--threads``), each with its own app context / connection and
its own wallet.

    .venv/bin/python bench/ledger.py [--seconds 3] [--rounds 3] [--workers 1,4,8] [--ops award,spend]

The database comes from LINLI_BENCH_PG_OWNER_URL and LINLI_BENCH_PG_APP_URL (the schema is
dropped and rebuilt: give it a database of its own); without them the script starts a
throwaway cluster with scripts/testdb.sh and stops it at the end. It prints lines of the
bench contract (bench/README.md in the deploy branch):

    BENCH <name> <value> <unit> target=<target> ratio=<ratio or ->

``ratio`` on a throughput line is action layer / raw SQL; the ``*_vs_raw`` lines carry the
same ratio as their value, with the target: at 8 workers, at least 40% of raw SQL.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_FAST_PASSWORD_HASH", "1")

TARGET_RATIO = 0.40
BIG = 10**12  # the spend wallets' starting balance: never the limit during a run


def report(name, value, unit, target=None, ratio=None):
    ratio_text = "-" if ratio is None else format(ratio, ".4g")
    print(f"BENCH {name} {value:.6g} {unit} target={target or '-'} ratio={ratio_text}", flush=True)


# --- the database ------------------------------------------------------------------------


@contextmanager
def bench_database():
    """(owner URL, app URL): from the environment, or a throwaway cluster of our own."""
    owner, app = os.environ.get("LINLI_BENCH_PG_OWNER_URL"), os.environ.get("LINLI_BENCH_PG_APP_URL")
    if owner and app:
        yield owner, app
        return
    work = tempfile.mkdtemp(prefix="linli-bench-")
    os.chmod(work, 0o755)
    cluster = os.path.join(work, "pg")
    script = str(ROOT / "scripts" / "testdb.sh")
    try:
        # stdout not captured: the server it starts keeps the pipe open; it writes env.sh too
        subprocess.run([script, "start", cluster], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(cluster, "env.sh")) as env:
            urls = dict(
                line.strip().removeprefix("export ").split("=", 1)
                for line in env if line.startswith("export ")
            )
        yield urls["LINLI_TEST_PG_OWNER_URL"], urls["LINLI_TEST_PG_APP_URL"]
    finally:
        subprocess.run([script, "stop", cluster], check=False, stdout=subprocess.DEVNULL)
        os.rmdir(work) if os.path.isdir(work) and not os.listdir(work) else None


def create_bench_app(owner_url, app_url):
    """The schema from the models plus the database guards, as the owner (as the tests do);
    the app connects as the app role, so row-level security is in force."""
    from sqlalchemy import create_engine, make_url

    from core.app import create_app
    from core.database_guards import apply_guards
    from core.extensions import db

    owner = create_engine(owner_url)
    with owner.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": app_url, "LOG_LEVEL": "WARNING",
        "MIGRATIONS_DATABASE_URL": owner_url, "RATELIMIT_STORAGE_URI": "memory://",
        "DATABASE_APP_ROLE": make_url(app_url).username,
    })
    with app.app_context():
        with owner.begin() as conn:
            db.metadata.create_all(conn)
            apply_guards(conn)
    owner.dispose()
    return app


def setup_community(app, wallets):
    """A community, ``wallets`` residents for awards and as many (rich) for spends."""
    from core.districts.actions import do_create_community, do_create_district
    from core.extensions import db
    from core.identity.actions import do_add_member, do_create_user
    from core.identity.models import Role
    from core.ledger import actions as ledger
    from core.tenancy.context import use_community
    from core.transactions import atomic

    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        with atomic():
            platform = do_create_user(f"bench-{tag}", "bench-pass-1", "bench", platform_admin=True)
        district = do_create_district(f"bd-{tag}", "Bench", platform)
        community = do_create_community(
            district, slug=f"bc-{tag}", name="Bench", actor=platform,
            admin={"login": f"bc-{tag}-admin", "password": "bench-pass-1", "name": "admin"},
        )
        ids = {"community": community.id, "award": [], "spend": []}
        with use_community(community.id):
            with atomic():
                for purpose in ("award", "spend"):
                    for i in range(wallets):
                        user = do_create_user(f"bc-{tag}-{purpose}-{i}", "bench-pass-1", "r")
                        ids[purpose].append(do_add_member(community, user, Role.RESIDENT).id)
            with atomic():
                from core.identity.models import Member

                for member_id in ids["spend"]:
                    member = db.session.get(Member, {"community_id": community.id, "id": member_id})
                    ledger.award(community, member, BIG, reason="bench")
            # accounts the raw SQL uses
            ids["issuance"] = ledger.issuance_account(community.id).id
            ids["shop"] = ledger.shop_account(community.id).id
            ids["wallet"] = {
                m: ledger.wallet_of(db.session.get(Member, {"community_id": community.id, "id": m})).id
                for m in ids["award"] + ids["spend"]
            }
            db.session.commit()
        db.session.remove()
    return ids


# --- workers -------------------------------------------------------------------------------


def run_workers(workers, seconds, make_worker, processes=True):
    """Start ``workers`` workers; each builds its step with ``make_worker(n)`` (its own app
    context or connection), warms up, then runs it in a loop for ``seconds``. tx/s.

    Workers are processes by default, as the app runs in production (gunicorn and Celery
    fork workers): threads of one Python process share one interpreter lock, so the action
    layer's Python would be held to one core while psycopg's raw threads wait on the server
    in parallel. ``processes=False`` keeps threads (to see what the lock costs)."""
    import multiprocessing

    context = multiprocessing.get_context("fork") if processes else None
    ready = (context or threading).Barrier(workers + 1)
    go = (context or threading).Event()
    counts = context.Array("q", workers) if processes else [0] * workers
    errors = context.SimpleQueue() if processes else []

    def worker(n):
        try:
            with make_worker(n) as step:
                for _ in range(5):
                    step()
                ready.wait()
                go.wait()
                deadline = time.perf_counter() + seconds
                done = 0
                while time.perf_counter() < deadline:
                    step()
                    done += 1
                counts[n] = done
        except BaseException as exc:  # reported below; the barrier must not hang
            if processes:
                errors.put(repr(exc))
            else:
                errors.append(exc)
            ready.abort()

    spawn = context.Process if processes else threading.Thread
    runners = [spawn(target=worker, args=(n,), daemon=True) for n in range(workers)]
    for runner in runners:
        runner.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    go.set()
    for runner in runners:
        runner.join()
    elapsed = time.perf_counter() - began
    if processes and not errors.empty():
        raise RuntimeError(errors.get())
    if not processes and errors:
        raise errors[0]
    return sum(counts) / elapsed


def action_worker(app, ids, op):
    from core.extensions import db
    from core.identity.models import Member
    from core.ledger import actions as ledger
    from core.tenancy.context import use_community
    from core.tenancy.models import Community
    from core.transactions import atomic

    community_id = ids["community"]

    @contextmanager
    def make(n):
        member_id = ids[op][n]
        with app.app_context(), use_community(community_id):
            # a forked worker must not share the parent's pooled connections
            db.engine.dispose(close=False)
            # what a request has in hand when it calls the ledger: the community and member
            community = db.session.get(Community, community_id)
            member = db.session.get(Member, {"community_id": community_id, "id": member_id})
            db.session.expunge_all()
            db.session.commit()

            def award():
                with atomic():
                    ledger.award(community, member, 1, reason="bench")

            def spend():
                with atomic():
                    ledger.spend(community, member, 1, to=ledger.SHOP, reason="bench")

            try:
                yield award if op == "award" else spend
            finally:
                db.session.remove()

    return make


def raw_worker(app_url, ids, op):
    import psycopg

    conninfo = "postgresql://" + app_url.split("://", 1)[1]
    community_id = ids["community"]

    @contextmanager
    def make(n):
        member_id = ids[op][n]
        wallet = ids["wallet"][member_id]
        other = ids["issuance"] if op == "award" else ids["shop"]
        delta = 1 if op == "award" else -1
        conn = psycopg.connect(conninfo)

        def step():
            now = datetime.now(UTC)
            txn = uuid.uuid4()
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('app.community_id', %s, true)", (str(community_id),))
                cur.execute(
                    "SELECT balance FROM ledger_accounts WHERE community_id = %s AND id = %s FOR UPDATE",
                    (community_id, wallet),
                )
                (balance,) = cur.fetchone()
                if balance + delta < 0:
                    raise RuntimeError("not enough points")
                fingerprint = hashlib.sha256(f"{op}{wallet}{delta}".encode()).hexdigest()
                cur.execute(
                    "INSERT INTO ledger_transactions (community_id, id, kind, reason, member_id,"
                    " fingerprint, created_at) VALUES (%s, %s, %s, 'bench', %s, %s, %s)",
                    (community_id, txn, op, member_id, fingerprint, now),
                )
                cur.execute(
                    "INSERT INTO ledger_postings (community_id, id, transaction_id, account_id,"
                    " amount, balance_after, created_at) VALUES"
                    " (%s, %s, %s, %s, %s, NULL, %s), (%s, %s, %s, %s, %s, %s, %s)",
                    (community_id, uuid.uuid4(), txn, other, -delta, now,
                     community_id, uuid.uuid4(), txn, wallet, delta, balance + delta, now),
                )
                cur.execute(
                    "UPDATE ledger_accounts SET balance = %s WHERE community_id = %s AND id = %s",
                    (balance + delta, community_id, wallet),
                )
            conn.commit()

        try:
            yield step
        finally:
            conn.close()

    return make


def verify_clean(app, community_id):
    from core.extensions import db
    from core.ledger.queries import verify
    from core.tenancy.context import use_community

    with app.app_context(), use_community(community_id):
        problems = verify([community_id])
        db.session.remove()
    if problems:
        raise SystemExit("ledger inconsistent after the run: " + "; ".join(map(str, problems[:5])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="raw and action runs alternate this many times; the best of each counts")
    parser.add_argument("--workers", default="1,4,8")
    parser.add_argument("--ops", default="award,spend")
    parser.add_argument("--threads", action="store_true",
                        help="workers as threads of this process instead of processes")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with bench_database() as (owner_url, app_url):
        app = create_bench_app(owner_url, app_url)
        ids = setup_community(app, max(counts))
        for op in args.ops.split(","):
            for workers in counts:
                raw = action = 0.0
                for _ in range(args.rounds):  # alternating, so both see the same machine load
                    raw = max(raw, run_workers(workers, args.seconds, raw_worker(app_url, ids, op), not args.threads))
                    action = max(action, run_workers(workers, args.seconds, action_worker(app, ids, op), not args.threads))
                ratio = action / raw
                report(f"ledger_{op}_w{workers}", action, "tx/s", ratio=ratio)
                report(f"ledger_{op}_raw_w{workers}", raw, "tx/s")
                report(f"ledger_{op}_w{workers}_vs_raw", ratio, "ratio",
                       target=f">={TARGET_RATIO}" if workers == 8 else None)
        verify_clean(app, ids["community"])


if __name__ == "__main__":
    main()

"""Closing an activity with 10,000 attendees: pay every one in one batch through the ledger.

    python bench/activities.py            # starts its own PostgreSQL (scripts/testdb.sh)
    scripts/bench.sh activities           # or under the bench runner (LINLI_BENCH_PG_* set)

Builds a community with 10,000 members, an activity paid by a per-hour rule, and 10,000
sign-ups checked in and out (wallets not opened yet: the close opens them, the worst case),
then times ``do_close``: wallets opened and locked, 10,000 transactions and 20,000 postings,
rule awards, sign-ups updated, notices written, one commit. The app connects as the
non-owner role, so row-level security is in force. Prints

    BENCH activities_close_10k <seconds> s target=<=5 ratio=-

and checks the ledger afterwards (every wallet equals its postings; closing again pays nobody).
A second line gives the same close in CPU seconds (this process and its PostgreSQL backend,
read from /proc), which does not depend on what else the machine is running.
"""

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ATTENDEES = int(os.environ.get("BENCH_ATTENDEES", "10000"))
TARGET_SECONDS = 5


def report(name, value, unit, target=None, ratio=None):
    print(f"BENCH {name} {value} {unit} target={target or '-'} ratio={ratio if ratio is not None else '-'}", flush=True)


def _database():
    """(owner url, app url, cleanup): the bench runner's PostgreSQL, or one of our own."""
    owner, app_url = os.environ.get("LINLI_BENCH_PG_OWNER_URL"), os.environ.get("LINLI_BENCH_PG_APP_URL")
    if owner and app_url:
        return owner, app_url, lambda: None
    folder = tempfile.mkdtemp(prefix="linli-bench-act-")
    os.chmod(folder, 0o755)
    pg = os.path.join(folder, "pg")
    # stdout only: the server inherits the script's stderr, so a captured stderr never ends
    out = subprocess.run([str(ROOT / "scripts/testdb.sh"), "start", pg], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if line.startswith("export "))

    def stop():
        subprocess.run([str(ROOT / "scripts/testdb.sh"), "stop", pg], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    return env["LINLI_TEST_PG_OWNER_URL"], env["LINLI_TEST_PG_APP_URL"], stop


def build_app(owner, app_url):
    from sqlalchemy import create_engine

    from core.app import create_app
    from core.database_guards import apply_guards
    from core.extensions import db

    engine = create_engine(owner)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": app_url, "MIGRATIONS_DATABASE_URL": owner,
                      "DATABASE_APP_ROLE": "linli_app", "RATELIMIT_STORAGE_URI": "memory://", "LOG_LEVEL": "WARNING"})
    with app.app_context(), engine.begin() as conn:
        db.metadata.create_all(conn)
        apply_guards(conn)
    engine.dispose()
    return app


def populate(n: int):
    """A district, a community, its admin, ``n`` residents, a per-hour rule and an activity
    that ended, with every resident signed up, checked in and out (about 95% of the time)."""
    from sqlalchemy import insert

    from core.districts.actions import do_create_community, do_create_district
    from core.extensions import db
    from core.identity.actions import do_create_user
    from core.identity.models import Member, Role, User
    from core.ids import new_id
    from core.tenancy.access import Actor
    from core.tenancy.context import use_community
    from core.transactions import atomic
    from core.types import utcnow
    from tenants.activities import actions
    from tenants.activities.models import Activity, Signup, SignupStatus
    from tenants.rules.actions import do_create_rule

    os.environ.setdefault("LINLI_FAST_PASSWORD_HASH", "1")
    with atomic():
        platform = do_create_user("bench-platform", "bench-pass-1", "Platform", platform_admin=True)
    district = do_create_district("bench", "Bench district", platform)
    community = do_create_community(district, slug="bench", name="Bench community",
                                    admin={"login": "bench-admin", "password": "bench-pass-1", "name": "Admin"},
                                    actor=platform)
    with use_community(community.id):
        admin = db.session.scalar(db.select(Member).where(Member.role == Role.ADMIN))
        actor = Actor(admin.user, community, admin, Role.ADMIN)
        rule = do_create_rule(actor, code="service_hour", name="志愿服务", category="volunteer", points=10,
                              unit="hour", needs_approval=False)
        now = utcnow()
        users = [{"id": new_id(), "login": f"r{i}", "name": f"居民{i}", "password_hash": "x", "phone": None,
                  "is_platform_admin": False, "active": True, "auth_epoch": 0, "created_at": now} for i in range(n)]
        members = [{"id": new_id(), "community_id": community.id, "user_id": u["id"], "role": "resident",
                    "account_kind": "blue", "name": u["name"], "number": i + 2, "active": True, "created_at": now}
                   for i, u in enumerate(users)]
        with atomic():
            for start in range(0, n, 2000):
                db.session.execute(insert(User.__table__), users[start:start + 2000])
                db.session.execute(insert(Member.__table__), members[start:start + 2000])
        start_at = (now + timedelta(days=1)).replace(microsecond=0)
        activity = actions.do_create_activity(
            actor, rule=rule, title="河道大扫除", description="", place="北门", starts_at=start_at,
            ends_at=start_at + timedelta(hours=2), signup_deadline=start_at - timedelta(hours=1), capacity=n)
        begun = now - timedelta(hours=3)
        with atomic():
            db.session.execute(db.update(Activity).where(Activity.id == activity.id).values(
                starts_at=begun, ends_at=begun + timedelta(hours=2), signup_deadline=begun - timedelta(hours=1)))
            signups = [{"id": new_id(), "community_id": community.id, "activity_id": activity.id,
                        "member_id": m["id"], "status": SignupStatus.SIGNED_UP.value, "queued_at": begun,
                        "checked_in_at": begun, "checked_in_how": "card",
                        "checked_out_at": begun + timedelta(minutes=115 - i % 10), "checked_out_how": "card",
                        "auto_checked_out": False, "makeup_minutes": 0, "capped": False, "created_at": begun}
                       for i, m in enumerate(members)]
            for start in range(0, n, 2000):
                db.session.execute(insert(Signup.__table__), signups[start:start + 2000])
        ids = community.id, activity.id
        db.session.remove()
    return ids


def _backend_cpu(pid) -> float | None:
    """CPU seconds a local PostgreSQL backend has used (None when /proc cannot tell)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def close_and_check(community_id, activity_id, n):
    from sqlalchemy import func, select

    from core.errors import ActionError
    from core.extensions import db
    from core.identity.models import Member, Role
    from core.ledger.models import LedgerTransaction
    from core.ledger.queries import verify
    from core.tenancy.access import Actor
    from core.tenancy.context import use_community
    from core.tenancy.models import Community
    from tenants.activities import actions
    from tenants.activities.models import Activity

    with use_community(community_id):
        community = db.session.get(Community, community_id)
        admin = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
        actor = Actor(admin.user, community, admin, Role.ADMIN)
        activity = db.session.get(Activity, {"community_id": community_id, "id": activity_id})
        backend = db.session.scalar(select(func.pg_backend_pid()))
        server_before, client_before = _backend_cpu(backend), time.process_time()
        began = time.perf_counter()
        closed = actions.do_close(actor, activity)
        seconds = time.perf_counter() - began
        client = time.process_time() - client_before
        server_after = _backend_cpu(backend)
        cpu = client + server_after - server_before if server_before is not None and server_after is not None else None
        print(f"client cpu {client:.2f}s, server cpu {(server_after or 0) - (server_before or 0):.2f}s", file=sys.stderr)
        paid = closed.attendees_paid
        try:
            actions.do_close(actor, activity)
        except ActionError as exc:
            assert exc.code == "already_closed", exc.code
        transactions = db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.cause_type == "activity"))
        problems = verify([community_id])
        db.session.remove()
    assert paid == n, f"paid {paid} of {n}"
    assert transactions == n, f"{transactions} transactions for {n} attendees"
    assert problems == [], problems[:3]
    return seconds, cpu


def main():
    owner, app_url, stop = _database()
    try:
        app = build_app(owner, app_url)
        with app.app_context():
            community_id, activity_id = populate(ATTENDEES)
            seconds, cpu = close_and_check(community_id, activity_id, ATTENDEES)
        name = "activities_close_10k" if ATTENDEES == 10000 else f"activities_close_{ATTENDEES}"
        report(name, round(seconds, 2), "s", target=f"<={TARGET_SECONDS}")
        if cpu is not None:
            # the same close in CPU seconds (this process plus its PostgreSQL backend): what
            # the wall time is on a machine that is not shared
            report(f"{name}_cpu", round(cpu, 2), "s", target=f"<={TARGET_SECONDS}")
    finally:
        stop()


if __name__ == "__main__":
    main()

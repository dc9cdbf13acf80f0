"""Points expiry: the three policies, soonest-expiring points used first, the notice, and the
daily Celery task (idempotent per member and day)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from sqlalchemy import func, select

from core.extensions import db
from core.identity.actions import do_add_member, do_create_user
from core.identity.models import Role
from core.ledger import actions as ledger
from core.ledger.models import LedgerTransaction
from core.ledger.queries import balance, expiring_soon, verify
from core.ledger.tasks import EXPIRE_ALL, EXPIRE_ONE
from core.tenancy.context import use_community
from core.transactions import atomic

T0 = datetime(2031, 1, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The time the ledger stamps on what it writes (and so when earned points expire)."""
    now = {"at": T0}
    monkeypatch.setattr(ledger, "utcnow", lambda: now["at"])
    return now


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield world.community("c1")


def set_policy(community, **policy):
    with atomic():
        community.settings = {**(community.settings or {}), "points_expiry": policy}


def new_member(community):
    with atomic():
        login = f"exp-{uuid.uuid4().hex[:12]}"
        return do_add_member(community, do_create_user(login, "pw-expiry-1", login), Role.RESIDENT)


def award(community, member, points, clock, at):
    clock["at"] = at
    with atomic():
        return ledger.award(community, member, points, reason="r")


def spend(community, member, points, clock, at):
    clock["at"] = at
    with atomic():
        return ledger.spend(community, member, points, to=ledger.shop_account(community.id), reason="s")


def expire(community, member, now):
    with atomic():
        return ledger.expire_due(community, member, now)


def expired_points(txn):
    return sum(p.amount for p in txn.postings if p.amount > 0) if txn else 0


def test_never_policy_keeps_points_forever(c1, clock):
    set_policy(c1, policy="never")
    red = new_member(c1)
    txn = award(c1, red, 10, clock, T0)
    assert all(p.expires_at is None for p in txn.postings)
    assert expire(c1, red, T0 + timedelta(days=365 * 40)) is None
    assert expiring_soon(red, T0 + timedelta(days=365 * 40)) is None
    assert balance(red) == 10


def test_months_policy_expires_at_the_same_time_n_months_later(c1, clock):
    set_policy(c1, policy="months", months=6)
    red = new_member(c1)
    txn = award(c1, red, 10, clock, T0)
    due = datetime(2031, 7, 10, 10, 0, tzinfo=UTC)
    assert [p.expires_at for p in txn.postings if p.amount > 0] == [due]
    assert expire(c1, red, due - timedelta(minutes=1)) is None
    gone = expire(c1, red, due)
    assert expired_points(gone) == 10
    assert gone.kind == "expiry"
    assert balance(red) == 0
    assert verify([c1.id]) == []


def test_months_policy_clamps_to_the_end_of_a_short_month(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    # 31 January, 18:00 in Shanghai -> 28 February (2031 is not a leap year)
    txn = award(c1, red, 5, clock, datetime(2031, 1, 31, 10, 0, tzinfo=UTC))
    assert [p.expires_at for p in txn.postings if p.amount > 0] == [
        datetime(2031, 2, 28, 10, 0, tzinfo=UTC)
    ]


def test_year_end_policy_expires_at_the_community_new_year_after_next(c1, clock):
    set_policy(c1, policy="year_end")
    red = new_member(c1)
    award(c1, red, 8, clock, datetime(2031, 5, 1, 2, 0, tzinfo=UTC))
    # midnight, 1 January 2033 in Asia/Shanghai is 16:00 UTC on 31 December 2032
    new_year = datetime(2032, 12, 31, 16, 0, tzinfo=UTC)
    assert expire(c1, red, new_year - timedelta(seconds=1)) is None
    assert expired_points(expire(c1, red, new_year)) == 8


def test_points_are_spent_oldest_first_so_only_unspent_old_points_expire(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)                              # expires 10 Feb
    spend(c1, red, 4, clock, T0 + timedelta(days=5))
    award(c1, red, 10, clock, T0 + timedelta(days=10))         # expires 20 Feb
    first = expire(c1, red, datetime(2031, 2, 10, 11, 0, tzinfo=UTC))
    assert expired_points(first) == 6                          # the 4 spent ones were old ones
    assert balance(red) == 10
    assert expire(c1, red, datetime(2031, 2, 15, tzinfo=UTC)) is None
    second = expire(c1, red, datetime(2031, 2, 20, 11, 0, tzinfo=UTC))
    assert expired_points(second) == 10
    assert balance(red) == 0
    assert verify([c1.id]) == []


def test_a_spend_larger_than_the_old_batch_eats_into_the_next(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)
    award(c1, red, 10, clock, T0 + timedelta(days=10))
    spend(c1, red, 14, clock, T0 + timedelta(days=11))
    assert expire(c1, red, datetime(2031, 2, 10, 11, 0, tzinfo=UTC)) is None
    assert expired_points(expire(c1, red, datetime(2031, 2, 21, tzinfo=UTC))) == 6


def test_reversing_a_recent_award_leaves_the_old_points_to_expire(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)
    recent = award(c1, red, 10, clock, T0 + timedelta(days=10))
    with atomic():
        ledger.reverse(c1, recent, reason="mistake")
    # the reversal took back the recent points themselves, not the oldest ones
    assert expired_points(expire(c1, red, datetime(2031, 2, 10, 11, 0, tzinfo=UTC))) == 10
    assert balance(red) == 0


def test_refunded_points_come_back_with_their_old_expiry(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)
    spend(c1, red, 10, clock, T0 + timedelta(days=1))
    clock["at"] = T0 + timedelta(days=2)
    with atomic():
        refund = ledger.refund(c1, red, 10, source=ledger.shop_account(c1.id), reason="returned")
    assert all(p.expires_at is None for p in refund.postings)  # no new expiry clock
    assert expired_points(expire(c1, red, datetime(2031, 2, 11, tzinfo=UTC))) == 10


def test_one_expiry_per_member_per_day(c1, clock):
    set_policy(c1, policy="months", months=1)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)                              # expires 10 Feb 10:00
    award(c1, red, 7, clock, T0 + timedelta(hours=5))         # expires 10 Feb 15:00
    morning = expire(c1, red, datetime(2031, 2, 10, 12, 0, tzinfo=UTC))
    assert expired_points(morning) == 10
    evening = expire(c1, red, datetime(2031, 2, 10, 23, 0, tzinfo=UTC))
    assert evening.id == morning.id                            # the day's key: nothing moves
    assert balance(red) == 7
    assert expired_points(expire(c1, red, datetime(2031, 2, 11, 3, 0, tzinfo=UTC))) == 7


def test_expiring_soon_tells_how_many_points_expire_on_which_date_from_30_days_before(c1, clock):
    set_policy(c1, policy="months", months=2)
    red = new_member(c1)
    award(c1, red, 10, clock, T0)                              # expires 10 Mar
    spend(c1, red, 3, clock, T0 + timedelta(days=1))
    award(c1, red, 5, clock, T0 + timedelta(days=20))          # expires 30 Mar
    on = datetime(2031, 3, 10, 10, 0, tzinfo=UTC)
    assert expiring_soon(red, on - timedelta(days=30, seconds=1)) is None
    notice = expiring_soon(red, on - timedelta(days=30))
    assert (notice.points, notice.on) == (7, on)
    expire(c1, red, on)
    later = expiring_soon(red, on + timedelta(days=1))
    assert (later.points, later.on) == (5, datetime(2031, 3, 30, 10, 0, tzinfo=UTC))


# --- the task ---------------------------------------------------------------------------------


def run_task(app, name, *args):
    return app.extensions["celery"].tasks[name].delay(*args).get()


def expiry_count(community_id):
    with use_community(community_id):
        return db.session.scalar(
            select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == "expiry")
        )


def test_expire_points_task_expires_every_member_once_a_day(app, c1, clock):
    set_policy(c1, policy="months", months=1)
    red, blue, idle = new_member(c1), new_member(c1), new_member(c1)
    award(c1, red, 10, clock, T0)
    award(c1, blue, 4, clock, T0)
    spend(c1, blue, 1, clock, T0 + timedelta(days=1))
    award(c1, idle, 6, clock, T0 + timedelta(days=20))         # not due yet
    before = expiry_count(c1.id)
    now = "2031-02-11T03:00:00+00:00"
    assert run_task(app, EXPIRE_ONE, str(c1.id), now) == 2
    assert (balance(red), balance(blue), balance(idle)) == (0, 0, 6)
    assert run_task(app, EXPIRE_ONE, str(c1.id), "2031-02-11T21:00:00+00:00") == 0
    assert expiry_count(c1.id) == before + 2
    assert verify([c1.id]) == []


def test_daily_fan_out_reaches_every_community(app, world, ctx, clock):
    members = {}
    for name in ("c1", "c2"):
        with use_community(world.ids[name]):
            community = world.community(name)
            set_policy(community, policy="months", months=1)
            members[name] = new_member(community)
            award(community, members[name], 3, clock, T0)
    enqueued = run_task(app, EXPIRE_ALL, "2031-02-12T03:00:00+00:00")
    assert enqueued >= 3
    for name in ("c1", "c2"):
        with use_community(world.ids[name]):
            assert balance(members[name]) == 0


def test_the_beat_schedule_runs_the_fan_out_daily_at_three(app):
    entry = app.extensions["celery"].conf.beat_schedule["ledger-expire-points"]
    assert entry["task"] == EXPIRE_ALL
    assert entry["task"] in app.extensions["celery"].tasks
    assert entry["schedule"] == crontab(hour=3, minute=0)

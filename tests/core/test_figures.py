"""Figures per community and month: what they count, in the community's own months, and the
same numbers whether read live from the ledger or from the roll-ups plus the live tail."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.figures import rollup
from core.figures.models import FigureWatermark, KindMonth, MemberActivity, MonthSnapshot
from core.figures.months import Month, months_between
from core.figures.registry import FigureRequest, compute
from core.figures.values import Money, Ratio, total
from core.identity.models import Member
from core.ledger import actions as ledger
from core.tenancy.context import all_communities, use_community
from core.transactions import atomic

NOW = datetime(2025, 6, 15, 4, 0, tzinfo=UTC)


def member(world, login):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(login)))


@pytest.fixture
def at(monkeypatch):
    """Post ledger transactions as if at a given instant (the ledger stamps ``utcnow()``)."""

    def post_at(when, fn):
        monkeypatch.setattr("core.ledger.actions.utcnow", lambda: when)
        try:
            return fn()
        finally:
            monkeypatch.undo()

    return post_at


def award(world, community, login, points, when, at):
    with use_community(community.id), atomic():
        return at(when, lambda: ledger.award(community, member(world, login), points, reason="test"))


def spend(world, community, login, points, when, at):
    with use_community(community.id), atomic():
        return at(when, lambda: ledger.spend(community, member(world, login), points,
                                             to=ledger.shop_account(community.id), reason="shop"))


def figures(communities, month, now=NOW):
    return compute(FigureRequest(list(communities), month, now))


def test_months_parse_and_cut_at_local_midnight():
    assert Month.parse("2025-05") == Month(2025, 5)
    for bad in ("2025-13", "2025-5", "25-05", "0000-01", "", None, 202505, "2025-05-01"):
        assert Month.parse(bad) is None, bad
    start, end = Month(2025, 5).bounds("Asia/Shanghai")
    assert start == datetime(2025, 4, 30, 16, 0, tzinfo=UTC)
    assert end == datetime(2025, 5, 31, 16, 0, tzinfo=UTC)
    assert Month(2025, 12).next() == Month(2026, 1) and Month(2025, 1).previous() == Month(2024, 12)
    assert Month(2025, 3).shift(-14) == Month(2024, 1)
    assert [str(m) for m in months_between(Month(2024, 11), Month(2025, 2))] == [
        "2024-11", "2024-12", "2025-01", "2025-02"]


def test_points_figures_count_the_community_local_month(ctx, world, at):
    c1 = world.community("c1")
    # 01:30 on 1 May in Shanghai is still 30 April in UTC: it belongs to May
    award(world, c1, "c1_red", 20, datetime(2025, 4, 30, 17, 30, tzinfo=UTC), at)
    award(world, c1, "c1_blue", 5, datetime(2025, 4, 30, 15, 30, tzinfo=UTC), at)  # 23:30, 30 April
    spend(world, c1, "c1_red", 6, datetime(2025, 5, 20, tzinfo=UTC), at)
    may = figures([c1], Month(2025, 5))
    april = figures([c1], Month(2025, 4))
    assert may["points_issued"][c1.id] == 20
    assert may["points_spent"][c1.id] == 6
    assert april["points_issued"][c1.id] == 5
    # outstanding is cumulative: what members hold at the month's end
    assert april["points_outstanding"][c1.id] == 5
    assert may["points_outstanding"][c1.id] == 19


def test_reversals_and_expiry_count_net(ctx, world, at):
    c1 = world.community("c1")
    first = award(world, c1, "c1_red", 30, datetime(2025, 5, 2, tzinfo=UTC), at)
    award(world, c1, "c1_red", 10, datetime(2025, 5, 3, tzinfo=UTC), at)
    with use_community(c1.id), atomic():
        at(datetime(2025, 5, 4, tzinfo=UTC), lambda: ledger.reverse(c1, first, reason="mistake"))
    with use_community(c1.id), atomic():
        red = member(world, "c1_red")
        at(datetime(2025, 5, 5, tzinfo=UTC), lambda: ledger.post(
            c1, kind="expiry", reason="expiry", member_id=red.id,
            entries=[(ledger.wallet_of(red), -4), (ledger.expired_account(c1.id), 4)]))
    may = figures([c1], Month(2025, 5))
    assert may["points_issued"][c1.id] == 10  # 30 + 10 - 30 reversed
    assert may["points_expired"][c1.id] == 4
    assert may["points_outstanding"][c1.id] == 6


def newcomer(community, login, kind, joined):
    """A resident of ``community`` who joined at ``joined`` (the world's people joined today)."""
    from core.identity.actions import do_add_member, do_create_user

    with use_community(community.id), atomic():
        user = do_create_user(login, "password-1", login)
        person = do_add_member(community, user, "resident", account_kind=kind)
        person.created_at = joined
    return person


def test_members_by_kind_leave_out_admins_and_later_joiners(ctx, world):
    c1 = world.community("c1")
    today = datetime.now(UTC)
    now = figures([c1], Month.current(c1.timezone), now=today)
    # the world's c1: a red grid worker, a red, a blue and a green resident; the admin is staff
    assert (now["members_red"][c1.id], now["members_blue"][c1.id], now["members_green"][c1.id]) == (2, 1, 1)
    assert now["members"][c1.id] == 4
    newcomer(c1, "fig_old_blue", "blue", datetime(2025, 1, 10, tzinfo=UTC))
    january = figures([c1], Month(2025, 1), now=today)
    assert (january["members_blue"][c1.id], january["members"][c1.id]) == (1, 1)  # the world joined later
    assert figures([c1], Month(2024, 12), now=today)["members"][c1.id] == 0


def test_active_volunteers_are_those_who_earned_in_the_last_90_days(ctx, world, at):
    c2 = world.community("c2")
    joined = datetime(2024, 1, 1, tzinfo=UTC)
    people = [newcomer(c2, f"fig_{n}", kind, joined) for n, kind in (("a", "red"), ("b", "blue"), ("c", "green"))]
    for person, days in zip(people, (80, 100, 1), strict=True):
        with use_community(c2.id), atomic():
            at(NOW - timedelta(days=days), lambda p=person: ledger.award(c2, p, 5, reason="test"))
    with use_community(c2.id), atomic():  # spending is not volunteering
        at(NOW - timedelta(hours=1), lambda: ledger.spend(c2, people[2], 5, to=ledger.shop_account(c2.id),
                                                          reason="shop"))
    june = figures([c2], Month(2025, 6))
    assert june["active_volunteers"][c2.id] == 2
    share = june["participation"][c2.id]
    assert (share.numerator, share.denominator) == (2, 3)  # the world's people joined after June 2025
    # a past month counts the 90 days up to its own end: the awards of 7 and 27 March are
    # inside the window that ends on 31 March; the one of 14 June is not yet
    march = figures([c2], Month(2025, 3))
    assert march["active_volunteers"][c2.id] == 2


def test_district_totals_add_ratios_by_their_parts():
    assert total([Ratio(1, 4), Ratio(3, 4)]) == Ratio(4, 8)
    assert total([Money(150, "CNY"), None, Money(50, "CNY")]) == Money(200, "CNY")
    assert total([Money(1, "CNY"), Money(1, "HKD")]) is None  # not addable: no total
    assert total([None, None]) is None
    assert Money(1234, "CNY").as_json() == {"amount": "12.34", "currency": "CNY"}


def test_the_liability_uses_the_communitys_point_value(ctx, world, at):
    c3 = world.community("c3")  # no merchant partnership: no point value but its own
    award(world, c3, "c3_red", 40, NOW - timedelta(days=1), at)
    month = Month.of(NOW, c3.timezone)
    assert figures([c3], month)["liability"][c3.id] is None  # no value known: not guessed
    with atomic():
        c3.settings = {**(c3.settings or {}), "point_value_minor": 5}  # 0.05 CNY a point
    outstanding = figures([c3], month)["points_outstanding"][c3.id]
    assert figures([c3], month)["liability"][c3.id] == Money(outstanding * 5, "CNY")


def test_without_its_own_value_a_community_uses_its_partnerships_average(ctx, world):
    from core.figures.core_figures import point_values

    c1, c2 = world.community("c1"), world.community("c2")
    with all_communities():
        values = point_values([c1, c2])
    # the world's partnerships: m1 pays 10 fen a point in c1 and c2, m2 pays 20 in c2
    assert values[c1.id] == (10, "partners") and values[c2.id] == (15, "partners")


def test_rolled_up_figures_equal_live_ones_and_the_tail_is_added(ctx, world, at):
    c1, c3 = world.community("c1"), world.community("c3")
    award(world, c1, "c1_red", 12, datetime(2025, 3, 3, tzinfo=UTC), at)
    award(world, c1, "c1_blue", 7, datetime(2025, 4, 3, tzinfo=UTC), at)
    spend(world, c1, "c1_red", 2, datetime(2025, 5, 3, tzinfo=UTC), at)
    award(world, c3, "c3_green", 3, datetime(2025, 5, 9, tzinfo=UTC), at)
    months = [Month(2025, m) for m in (3, 4, 5, 6)]
    live = [figures([c1, c3], m) for m in months]

    with all_communities():
        rollup.roll_up(now=NOW + timedelta(minutes=10))
        assert db.session.scalar(select(KindMonth.issued).where(
            KindMonth.community_id == c1.id, KindMonth.month == "2025-03", KindMonth.account_kind == "red")) == 12
        assert db.session.scalar(select(MemberActivity.last_earned_at).where(
            MemberActivity.member_id == world.member_id("c1_blue"))) == datetime(2025, 4, 3, tzinfo=UTC)
        # finished months are frozen with their members and active volunteers
        snap = db.session.scalar(select(MonthSnapshot).where(
            MonthSnapshot.community_id == c1.id, MonthSnapshot.month == "2025-04"))
        assert (snap.active, snap.members_red) == (2, 0)  # the world's people joined later
    assert [figures([c1, c3], m) for m in months] == live

    # a second run folds nothing twice
    with all_communities():
        rollup.roll_up(now=NOW + timedelta(minutes=20))
    assert [figures([c1, c3], m) for m in months] == live

    # points after the watermark are the live tail, added to the roll-up
    award(world, c1, "c1_green", 4, NOW + timedelta(minutes=30), at)
    after = figures([c1, c3], Month(2025, 6), now=NOW + timedelta(hours=1))
    assert after["points_issued"][c1.id] == live[3]["points_issued"][c1.id] + 4
    assert after["active_volunteers"][c1.id] == 2  # blue (April) and green (the tail); red is too old
    with all_communities():
        mark = db.session.scalar(select(FigureWatermark.rolled_to).where(FigureWatermark.community_id == c1.id))
    assert mark == NOW + timedelta(minutes=20) - rollup.LAG


def test_a_posting_younger_than_the_lag_waits_for_the_next_run(ctx, world, at):
    c1 = world.community("c1")
    award(world, c1, "c1_red", 9, NOW - timedelta(minutes=1), at)
    with all_communities():
        rollup.roll_up(now=NOW)
        folded = db.session.scalar(select(KindMonth.issued).where(KindMonth.community_id == c1.id))
    assert folded is None  # not folded yet (it may belong to a transaction still open)...
    assert figures([c1], Month.of(NOW, c1.timezone))["points_issued"][c1.id] == 9  # ...but counted


def test_the_roll_up_task_is_scheduled():
    from core.figures.tasks import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["figures-roll-up"]["task"] == "figures.roll_up"


def test_current_counts_plus_what_changed_since_equal_a_full_count(ctx, world, at):
    """The dashboard starts from the last roll-up's counts and adds what changed since; the
    result is what counting everything again gives."""
    from core.figures.models import CurrentCounts

    c1 = world.community("c1")
    now = datetime.now(UTC)
    award(world, c1, "c1_blue", 5, now - timedelta(days=89, hours=23, minutes=58), at)  # about to slip out
    award(world, c1, "c1_red", 5, now - timedelta(days=10), at)
    with all_communities():
        rollup.roll_up(now=now)
    # after the roll-up: a newcomer joins, the green resident earns for the first time
    newcomer(c1, "fig_new_red", "red", datetime.now(UTC))
    award(world, c1, "c1_green", 5, datetime.now(UTC), at)
    later = datetime.now(UTC) + timedelta(minutes=5)  # the blue award is now older than 90 days
    month = Month.of(later, c1.timezone)
    from_counts = figures([c1], month, now=later)
    with all_communities(), atomic():
        assert db.session.scalar(select(CurrentCounts.members_red).where(CurrentCounts.community_id == c1.id)) == 2
        for row in db.session.scalars(select(CurrentCounts)):
            db.session.delete(row)
    counted_again = figures([c1], month, now=later)
    assert from_counts == counted_again
    assert from_counts["members_red"][c1.id] == 3
    assert from_counts["active_volunteers"][c1.id] == 2  # red and green; blue has slipped out

"""Caps count by the community's own days, months and years, in the rule's unit."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.tenancy.context import use_community
from tenants.rules.actions import do_award_points, do_update_rule
from tenants.rules.errors import RulesError
from tenants.rules.queries import period_bounds, rule_by_code
from tests.tenants.rules.world import actor_for


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield world.community("c1")


def red(world):
    return db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))


def test_periods_are_local_to_the_community(c1):
    # 23:30 on 31 December in Shanghai is 15:30 UTC
    moment = datetime(2024, 12, 31, 15, 30, tzinfo=UTC)
    day = period_bounds(c1, moment, "day")
    assert day == (datetime(2024, 12, 30, 16, 0, tzinfo=UTC), datetime(2024, 12, 31, 16, 0, tzinfo=UTC))
    month = period_bounds(c1, moment, "month")
    assert month == (datetime(2024, 11, 30, 16, 0, tzinfo=UTC), datetime(2024, 12, 31, 16, 0, tzinfo=UTC))
    year = period_bounds(c1, moment, "year")
    assert year == (datetime(2023, 12, 31, 16, 0, tzinfo=UTC), datetime(2024, 12, 31, 16, 0, tzinfo=UTC))
    # half an hour later it is the next local day, month and year
    assert period_bounds(c1, datetime(2024, 12, 31, 16, 30, tzinfo=UTC), "year")[0] == year[1]


def test_daily_cap_resets_at_local_midnight(c1, world):
    grid = actor_for(world, "c1_grid")
    rule = rule_by_code(c1.id, "service_hour")  # 8 hours a day
    before_midnight = datetime(2025, 5, 12, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    after_midnight = datetime(2025, 5, 12, 16, 30, tzinfo=UTC)  # 00:30 the next day
    do_award_points(grid, rule, [red(world)], 8, now=before_midnight)
    with pytest.raises(RulesError) as caught:
        do_award_points(grid, rule, [red(world)], 1, now=datetime(2025, 5, 12, 15, 59, tzinfo=UTC))
    assert caught.value.code == "cap_reached"
    assert (caught.value.hits[0].period, caught.value.hits[0].used) == ("day", 8)
    awards = do_award_points(grid, rule, [red(world)], 8, now=after_midnight)
    assert awards[0].points == 80
    # the stored reason carries the local date of the deed
    from core.ledger.models import LedgerTransaction

    reason = db.session.scalar(select(LedgerTransaction.reason).where(
        LedgerTransaction.id == awards[0].transaction_id))
    assert reason == "志愿服务 ×8 · 2025-05-13"


def test_monthly_and_yearly_caps(c1, world):
    admin = actor_for(world, "c1_admin")
    rule = rule_by_code(c1.id, "fire")
    do_update_rule(admin, rule, cap_month=2, cap_year=3)
    grid = actor_for(world, "c1_grid")
    jan = datetime(2025, 1, 10, 4, 0, tzinfo=UTC)
    do_award_points(grid, rule, [red(world)], 2, now=jan)
    with pytest.raises(RulesError) as caught:
        do_award_points(grid, rule, [red(world)], 1, now=datetime(2025, 1, 30, 4, 0, tzinfo=UTC))
    assert caught.value.hits[0].period == "month"
    do_award_points(grid, rule, [red(world)], 1, now=datetime(2025, 2, 2, 4, 0, tzinfo=UTC))
    with pytest.raises(RulesError) as caught:
        do_award_points(grid, rule, [red(world)], 1, now=datetime(2025, 3, 2, 4, 0, tzinfo=UTC))
    assert caught.value.hits[0].period == "year"
    do_award_points(grid, rule, [red(world)], 1, now=datetime(2026, 1, 2, 4, 0, tzinfo=UTC))


def test_caps_count_quantity_not_requests(c1, world):
    grid = actor_for(world, "c1_grid")
    rule = rule_by_code(c1.id, "service_hour")
    moment = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(RulesError):
        do_award_points(grid, rule, [red(world)], 9, now=moment)
    for _ in range(4):
        do_award_points(grid, rule, [red(world)], 2, now=moment)
    with pytest.raises(RulesError):
        do_award_points(grid, rule, [red(world)], 1, now=moment)

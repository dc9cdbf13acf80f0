"""Closing a month: the statements' arithmetic, time zones, idempotency (twice, and after a
crash half way), refusing a month not over, and redemptions after a month was closed."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy.context import all_communities
from merchants.errors import MarketError
from merchants.settlement import closing
from merchants.settlement.closing import do_close_community_month, do_close_month
from merchants.settlement.models import ClosedMonth, Statement, StatementLine
from merchants.settlement.periods import month_over, next_month, previous_month
from tests.merchants.settlement.helpers import (
    at,
    lines_of,
    make_offer,
    new_community,
    redeem_at,
    set_point_value,
    statements_of,
)


def test_month_arithmetic():
    assert next_month("2024-12") == "2025-01" and next_month("2024-01") == "2024-02"
    assert previous_month("2025-01") == "2024-12" and previous_month("2024-10") == "2024-09"
    # Shanghai's May ends at 16:00 UTC on 31 May; New York's at 04:00 UTC on 1 June
    assert not month_over("2024-05", "Asia/Shanghai", at("2024-05-31 15:59"))
    assert month_over("2024-05", "Asia/Shanghai", at("2024-05-31 16:00"))
    assert not month_over("2024-05", "America/New_York", at("2024-06-01 03:59"))
    assert month_over("2024-05", "America/New_York", at("2024-06-01 04:00"))


def test_statements_sum_points_times_the_value_at_redemption(ctx, world):
    cid, resident = new_community(world, "settle-math", partners=[("m1", 10), ("m2", 7)])
    m1_offer = make_offer(world.ids["m1"], [cid], points=15)
    m2_offer = make_offer(world.ids["m2"], [cid], points=33)
    redeem_at(cid, resident, m1_offer, at("2024-03-02 02:00"))       # 15 x 0.10
    set_point_value(cid, world.ids["m1"], 13)
    redeem_at(cid, resident, m1_offer, at("2024-03-15 02:00"))       # 15 x 0.13
    redeem_at(cid, resident, m1_offer, at("2024-03-31 15:59"))       # Shanghai 23:59: March
    redeem_at(cid, resident, m1_offer, at("2024-03-31 16:00"))       # Shanghai 00:00: April
    redeem_at(cid, resident, m2_offer, at("2024-03-20 02:00"))       # 33 x 0.07
    redeem_at(cid, resident, m1_offer, at("2024-02-29 02:00"))       # February

    done = do_close_community_month(cid, "2024-03")
    assert (done.statements, done.vouchers, done.already) == (2, 4, False)
    found = statements_of(cid, "2024-03")
    m1 = found[(world.ids["m1"], "CNY")]
    assert (m1.vouchers, m1.points, m1.amount_minor) == (3, 45, 15 * 10 + 15 * 13 + 15 * 13)
    m2 = found[(world.ids["m2"], "CNY")]
    assert (m2.vouchers, m2.points, m2.amount_minor) == (1, 33, 231)
    lines = lines_of(m1.id)
    assert sorted(line.amount_minor for line in lines) == [150, 195, 195]
    assert sorted(line.point_value_minor for line in lines) == [10, 13, 13]
    assert sum(line.amount_minor for line in lines) == m1.amount_minor
    # April and February are not in March's statements
    assert statements_of(cid, "2024-04") == {} and statements_of(cid, "2024-02") == {}


def test_minor_units_follow_the_currency(app, rollback, world, api):
    """A yen community (no decimals) next to a yuan one: amounts exact in each. (No ``ctx``
    here: requests inside a pushed app context would share its ``g``.)"""
    with app.app_context():
        jpy, resident = new_community(world, "settle-yen", timezone="Asia/Tokyo", currency="JPY",
                                      partners=[("m1", 3)])
        offer = make_offer(world.ids["m1"], [jpy], points=41)
        redeem_at(jpy, resident, offer, at("2024-03-05 03:00"))
        redeem_at(jpy, resident, offer, at("2024-03-06 03:00"))
        do_close_community_month(jpy, "2024-03")
        statement = statements_of(jpy, "2024-03")[(world.ids["m1"], "JPY")]
        assert statement.amount_minor == 2 * 41 * 3
        db.session.remove()
    response = api.as_("m1_owner").get(f"/api/v1/merchants/{world.slugs['m1']}/statements?month=2024-03")
    item = next(i for i in response.json["items"] if i["community"] == "settle-yen")
    assert item["amount"] == "246" and item["currency"] == "JPY"
    cny = api.as_("m1_owner").get(f"/api/v1/merchants/{world.slugs['m1']}/statements?month=2024-01")
    assert next(i for i in cny.json["items"] if i["community"] == world.slugs["c1"])["amount"] == "8.00"


def test_the_month_is_the_communitys_local_month(ctx, world):
    ny, resident = new_community(world, "settle-ny", timezone="America/New_York", partners=[("m1", 10)])
    offer = make_offer(world.ids["m1"], [ny], points=5)
    late = redeem_at(ny, resident, offer, at("2024-04-01 03:30"))  # 23:30 on 31 March in New York
    assert late.settlement_month == "2024-03"
    do_close_community_month(ny, "2024-03", now=at("2024-04-01 06:00"))
    assert statements_of(ny, "2024-03")[(world.ids["m1"], "CNY")].vouchers == 1


def test_closing_twice_creates_nothing_new(ctx, world):
    cid, resident = new_community(world, "settle-twice", partners=[("m1", 10)])
    offer = make_offer(world.ids["m1"], [cid], points=5)
    redeem_at(cid, resident, offer, at("2024-03-02 02:00"))
    first = do_close_community_month(cid, "2024-03")
    second = do_close_community_month(cid, "2024-03")
    assert (first.statements, first.already) == (1, False)
    assert (second.statements, second.vouchers, second.already) == (1, 1, True)
    with all_communities():
        assert db.session.scalar(select(func.count()).select_from(Statement).where(
            Statement.community_id == cid)) == 1
        assert db.session.scalar(select(func.count()).select_from(StatementLine).where(
            StatementLine.community_id == cid)) == 1
        assert db.session.scalar(select(func.count()).select_from(ClosedMonth).where(
            ClosedMonth.community_id == cid)) == 1


def test_a_close_killed_half_way_finishes_on_the_next_run(ctx, world, monkeypatch):
    """The crash comes after the first community committed: the re-run closes the others and
    counts nothing twice."""
    a, res_a = new_community(world, "settle-crash-a", partners=[("m1", 10)])
    b, res_b = new_community(world, "settle-crash-b", partners=[("m1", 10), ("m2", 20)])
    offer_a = make_offer(world.ids["m1"], [a, b], points=4)
    offer_b = make_offer(world.ids["m2"], [b], points=6)
    redeem_at(a, res_a, offer_a, at("2024-03-03 02:00"))
    redeem_at(b, res_b, offer_a, at("2024-03-04 02:00"))
    redeem_at(b, res_b, offer_b, at("2024-03-05 02:00"))
    targets = closing.communities_for(["settle-crash-a", "settle-crash-b"])
    real = closing.do_close_community_month
    calls = []

    def crash_after_the_first(community_id, month, **kwargs):
        calls.append(community_id)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(community_id, month, **kwargs)

    monkeypatch.setattr(closing, "do_close_community_month", crash_after_the_first)
    with pytest.raises(RuntimeError):
        do_close_month("2024-03", communities=targets)
    assert len(statements_of(a, "2024-03")) == 1 and statements_of(b, "2024-03") == {}
    monkeypatch.setattr(closing, "do_close_community_month", real)

    done = do_close_month("2024-03", communities=closing.communities_for(["settle-crash-a", "settle-crash-b"]))
    assert sorted((d.already, d.statements) for d in done) == [(False, 2), (True, 1)]
    for cid, expected in ((a, {world.ids["m1"]: 1}), (b, {world.ids["m1"]: 1, world.ids["m2"]: 1})):
        found = statements_of(cid, "2024-03")
        assert {m: s.vouchers for (m, _c), s in found.items()} == expected
        for statement in found.values():
            assert len(lines_of(statement.id)) == statement.vouchers


def test_a_month_not_over_is_refused(ctx, world):
    from core.types import utcnow
    from merchants.settlement.periods import month_of

    current = month_of(utcnow(), "Asia/Shanghai")
    for month in (current, next_month(current)):
        with pytest.raises(MarketError) as refused:
            do_close_month(month)
        assert (refused.value.code, refused.value.status) == ("month_not_over", 409)
        with pytest.raises(MarketError):
            do_close_community_month(world.ids["c1"], month)
    with all_communities():
        assert db.session.scalar(select(func.count()).select_from(ClosedMonth).where(
            ClosedMonth.month == current)) == 0


def test_a_redemption_after_the_close_lands_in_the_next_open_month(ctx, world):
    cid, resident = new_community(world, "settle-late", partners=[("m1", 10)])
    offer = make_offer(world.ids["m1"], [cid], points=8)
    redeem_at(cid, resident, offer, at("2024-03-10 02:00"))
    do_close_community_month(cid, "2024-03")
    # a till whose transaction started on 31 March commits after the close
    late = redeem_at(cid, resident, offer, at("2024-03-31 15:00"))
    assert late.settlement_month == "2024-04"
    march = statements_of(cid, "2024-03")[(world.ids["m1"], "CNY")]
    assert march.vouchers == 1 and len(lines_of(march.id)) == 1  # March is untouched
    do_close_community_month(cid, "2024-04")
    april = statements_of(cid, "2024-04")[(world.ids["m1"], "CNY")]
    (line,) = lines_of(april.id)
    assert line.id == late.voucher_id and line.redeemed_at == at("2024-03-31 15:00")


def test_closing_records_audit_rows(ctx, world):
    from core.audit.models import AuditEvent

    cid, resident = new_community(world, "settle-audit", partners=[("m1", 10)])
    offer = make_offer(world.ids["m1"], [cid], points=8)
    redeem_at(cid, resident, offer, at("2024-03-10 02:00"))
    do_close_community_month(cid, "2024-03")
    events = db.session.execute(select(AuditEvent.event, AuditEvent.merchant_id, AuditEvent.data).where(
        AuditEvent.community_id == cid, AuditEvent.event.like("settlement.%"))).all()
    assert sorted(e for e, _m, _d in events) == ["settlement.month_closed", "settlement.statement_issued"]
    issued = next(d for e, _m, d in events if e == "settlement.statement_issued")
    assert issued["amount_minor"] == 80 and issued["month"] == "2024-03"

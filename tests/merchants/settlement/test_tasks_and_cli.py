"""The scheduled close (beat every 15 minutes, each community from 02:00 on the 1st of its own
time zone), the task itself, and ``linli settlements close``."""

from celery.schedules import crontab

from core.extensions import db
from merchants.settlement import tasks
from merchants.settlement.closing import do_close_community_month
from tests.merchants.settlement.helpers import (
    at,
    make_offer,
    new_community,
    redeem_at,
    statements_of,
)


def test_beat_ticks_every_quarter_hour(app):
    entry = app.extensions["celery"].conf.beat_schedule["settlement-close-months"]
    assert entry["task"] == tasks.CLOSE_DUE and entry["schedule"] == crontab(minute="*/15")


def test_a_community_is_due_from_two_in_the_morning_on_the_first(ctx, world):
    shanghai, _r = new_community(world, "settle-due-sh")
    new_york, _r = new_community(world, "settle-due-ny", timezone="America/New_York")
    # 17:30 UTC on 31 July: 01:30 on 1 August in Shanghai (too early), 13:30 in New York
    due = dict(tasks.due_months(at("2031-07-31 17:30")))
    assert shanghai not in due  # waits for 02:00
    assert due[new_york] == "2031-06"
    # 18:00 UTC: 02:00 in Shanghai: July is due there
    assert dict(tasks.due_months(at("2031-07-31 18:00")))[shanghai] == "2031-07"
    # 06:00 UTC on 1 August: 02:00 in New York
    assert dict(tasks.due_months(at("2031-08-01 06:00")))[new_york] == "2031-07"
    assert new_york not in dict(tasks.due_months(at("2031-08-01 05:59")))  # 01:59 there: not yet


def test_the_tick_closes_what_is_due_and_nothing_twice(ctx, world):
    cid, resident = new_community(world, "settle-tick", partners=[("m1", 10)])
    offer = make_offer(world.ids["m1"], [cid], points=9)
    redeem_at(cid, resident, offer, at("2024-03-09 02:00"))
    # every other community's March is closed already: the tick only has this one to do
    from core.tenancy.models import Community

    for other in db.session.query(Community.id).filter(Community.id != cid).all():
        do_close_community_month(other[0], "2024-03")
    sent = tasks.close_due.apply(kwargs={"now": "2024-04-01T02:30:00+08:00"}).get()
    assert sent == 1
    assert statements_of(cid, "2024-03")[(world.ids["m1"], "CNY")].points == 9
    assert tasks.close_due.apply(kwargs={"now": "2024-04-01T02:45:00+08:00"}).get() == 0
    # the task on its own is idempotent too
    assert tasks.close_community.apply(args=(str(cid), "2024-03")).get() == 0
    assert tasks.close_community.apply(args=("not-an-id", "2024-03")).get() == 0


def test_the_cli_closes_a_month(app, rollback, world):
    from flask import Flask  # noqa: F401  (the runner needs the app's CLI group)

    with app.app_context():
        cid, resident = new_community(world, "settle-cli", partners=[("m2", 5)])
        offer = make_offer(world.ids["m2"], [cid], points=12)
        redeem_at(cid, resident, offer, at("2024-03-09 02:00"))
        db.session.remove()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["settlements", "close", "--month", "2024-03", "--community", "settle-cli"])
    assert result.exit_code == 0, result.output
    assert "settle-cli 2024-03: closed, 1 statements, 1 vouchers" in result.output
    again = runner.invoke(args=["settlements", "close", "--month", "2024-03", "--community", "settle-cli"])
    assert "already closed" in again.output and "0 new statements" in again.output
    with app.app_context():
        assert statements_of(cid, "2024-03")[(world.ids["m2"], "CNY")].amount_minor == 60
    refused = runner.invoke(args=["settlements", "close", "--month", "2999-01"])
    assert refused.exit_code != 0 and "month_not_over" in refused.output
    bad = runner.invoke(args=["settlements", "close", "--month", "2024-03", "--community", "nowhere"])
    assert bad.exit_code != 0 and "no community nowhere" in bad.output

"""The work order's flow through its actions: who may take each step, the state machine,
the timeline, points for handlers and hazard reporters, auto-close and escalation."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import ActionError
from core.extensions import db
from core.ledger.queries import balance, verify
from core.notifications.actions import inbox
from core.tenancy.context import use_community
from core.types import utcnow
from tenants.grid.access import access_team
from tenants.workorders import actions, queries
from tenants.workorders.access import access_category, access_order
from tenants.workorders.models import OrderEvent, OrderStatus, WorkOrder
from tests.tenants.activities.helpers import actor, member


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield


def category(world, key="category"):
    return access_category(actor(world, "c1_admin"), world.ids[f"{key}:c1"])


def report(world, login="c1_red", key="category", text="The light is broken"):
    return actions.do_report(actor(world, login), reporter=member(world, login), category=category(world, key),
                             text=text, place="B1")


def events(order):
    return [e.event.step for e in queries.timeline(order)]


def test_report_accept_done_confirm_pays_the_handler_with_the_bonus(c1, world):
    order = report(world)
    assert order.status == OrderStatus.REPORTED and order.grid_id == world.ids["grid:c1"]
    assert [n.kind for n in inbox(member(world, "c1_grid"))][0] == "order.reported"  # the grid's worker
    grid = actor(world, "c1_grid")
    actions.do_accept(grid, order)
    actions.do_done(grid, order, note="Replaced the bulb", helpers=[member(world, "c1_blue")])
    assert inbox(member(world, "c1_red"))[0].kind == "order.done"
    before = {n: balance(member(world, n)) for n in ("c1_grid", "c1_blue")}
    actions.do_confirm(actor(world, "c1_red"), order, rating=5, comment="Quick, thank you")
    # repair_help pays 5 each; the category's bonus for a good rating is 2
    assert {n: balance(member(world, n)) - before[n] for n in before} == {"c1_grid": 7, "c1_blue": 7}
    assert order.status == OrderStatus.CLOSED and order.closed_how == "confirmed"
    assert events(order) == ["reported", "accepted", "done", "confirmed"]
    assert all(e.who for e in queries.timeline(order))
    assert verify([world.ids["c1"]]) == []


def test_a_poor_rating_pays_no_bonus(c1, world):
    order = report(world)
    grid = actor(world, "c1_grid")
    actions.do_accept(grid, order)
    actions.do_done(grid, order, note="Done")
    before = balance(member(world, "c1_grid"))
    actions.do_confirm(actor(world, "c1_red"), order, rating=2)
    assert balance(member(world, "c1_grid")) - before == 5


def test_dispatch_to_a_team_and_a_team_member_records_the_work(c1, world):
    order = report(world)
    team = access_team(actor(world, "c1_admin"), world.ids["team:c1"])
    actions.do_dispatch(actor(world, "c1_grid"), order, team=team, note="Please check today")
    assert inbox(member(world, "c1_green"))[0].kind == "order.dispatched"
    assert access_order(actor(world, "c1_blue"), order.id)  # a team member sees it
    with pytest.raises(ActionError) as outsider:
        actions.do_done(actor(world, "c1_red"), order, note="I did it")  # the reporter is no handler
    assert outsider.value.status == 403
    actions.do_done(actor(world, "c1_blue"), order, note="Fixed")
    assert order.status == OrderStatus.DONE and order.done_by_id == world.member_id("c1_blue")


@pytest.mark.parametrize("steps, wrong", [
    ([], "done"),
    ([], "confirm"),
    (["accept"], "accept"),
    (["accept", "done"], "dispatch"),
    (["accept", "done"], "cancel"),
    (["accept", "done", "confirm"], "reject"),
    (["reject"], "accept"),
])
def test_wrong_steps_are_409_and_write_nothing(c1, world, steps, wrong):
    order = report(world)
    grid, red = actor(world, "c1_grid"), actor(world, "c1_red")
    run = {
        "accept": lambda: actions.do_accept(grid, order),
        "dispatch": lambda: actions.do_dispatch(grid, order, member=member(world, "c1_blue")),
        "done": lambda: actions.do_done(grid, order, note="n"),
        "confirm": lambda: actions.do_confirm(red, order, rating=4),
        "cancel": lambda: actions.do_cancel(red, order),
        "reject": lambda: actions.do_reject(grid, order, "duplicate"),
    }
    for step in steps:
        run[step]()
    status = order.status
    count = db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id))
    with pytest.raises(ActionError) as refused:
        run[wrong]()
    assert (refused.value.status, refused.value.code) == (409, "invalid_transition")
    assert f"#{order.number}" in refused.value.message
    db.session.refresh(order)
    assert order.status == status
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id)) == count


def test_who_may_take_which_step(c1, world):
    order = report(world)
    with pytest.raises(ActionError) as resident_accepts:
        actions.do_accept(actor(world, "c1_blue"), order)
    assert resident_accepts.value.status == 403
    with pytest.raises(ActionError) as other_cancels:
        actions.do_cancel(actor(world, "c1_blue"), order)
    assert other_cancels.value.status == 403
    actions.do_accept(actor(world, "c1_grid"), order)
    actions.do_done(actor(world, "c1_grid"), order, note="n")
    with pytest.raises(ActionError) as stranger_confirms:
        actions.do_confirm(actor(world, "c1_blue"), order, rating=5)
    assert stranger_confirms.value.status == 403
    with pytest.raises(ActionError) as bad_rating:
        actions.do_confirm(actor(world, "c1_red"), order, rating=6)
    assert (bad_rating.value.status, bad_rating.value.field) == (422, "rating")


def test_staff_report_on_behalf_and_confirm_for_the_resident(c1, world):
    grid = actor(world, "c1_grid")
    order = actions.do_report(grid, reporter=member(world, "c1_green"), category=category(world),
                              text="Mrs Zhao's tap drips")
    assert order.reporter_id == world.member_id("c1_green") and order.created_by_id == world.member_id("c1_grid")
    actions.do_accept(grid, order)
    actions.do_done(grid, order, note="New washer")
    actions.do_confirm(grid, order, rating=4)  # she told the grid worker
    assert order.status == OrderStatus.CLOSED


def test_a_confirmed_hazard_pays_its_reporter_once(c1, world):
    order = report(world, key="hazard_category", text="Smoke from the bike shed")
    before = balance(member(world, "c1_red"))
    actions.do_accept(actor(world, "c1_grid"), order)
    assert balance(member(world, "c1_red")) - before == 10  # early_fire
    assert "reporter_paid" in events(order)
    actions.do_dispatch(actor(world, "c1_grid"), order, member=member(world, "c1_blue"))
    assert balance(member(world, "c1_red")) - before == 10  # not twice


def test_a_rejected_hazard_pays_nothing(c1, world):
    order = report(world, key="hazard_category", text="prank")
    before = balance(member(world, "c1_red"))
    actions.do_reject(actor(world, "c1_grid"), order, "Nothing there")
    assert balance(member(world, "c1_red")) == before and order.status == OrderStatus.REJECTED


def test_done_orders_close_by_themselves_after_the_set_days(c1, world, app):
    from core.tasks import for_app
    from tenants.workorders.tasks import auto_close

    order = report(world)
    grid = actor(world, "c1_grid")
    actions.do_accept(grid, order)
    actions.do_done(grid, order, note="Done")
    assert for_app(auto_close)() == 0  # not yet
    order.done_at = utcnow() - timedelta(days=8)
    db.session.commit()
    before = balance(member(world, "c1_grid"))
    assert for_app(auto_close)() == 1
    db.session.refresh(order)
    assert (order.status, order.closed_how) == (OrderStatus.CLOSED, "auto")
    assert balance(member(world, "c1_grid")) - before == 5  # no rating, no bonus
    assert events(order)[-1] == "auto_closed"


def test_overdue_orders_escalate_to_the_admins_once(c1, world):
    from core.tasks import for_app
    from tenants.workorders.tasks import escalate_overdue

    order = report(world)
    order.deadline_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert for_app(escalate_overdue)() >= 1
    assert for_app(escalate_overdue)() == 0
    db.session.refresh(order)
    assert order.escalated_at is not None and events(order)[-1] == "escalated"
    assert inbox(member(world, "c1_admin"))[0].kind == "order.escalated"


def test_satisfaction_figures_per_grid_and_month(c1, world):
    from core.tenancy.context import all_communities

    grid = actor(world, "c1_grid")
    for rating in (5, 3):
        order = report(world)
        actions.do_accept(grid, order)
        actions.do_done(grid, order, note="Done")
        actions.do_confirm(actor(world, "c1_red"), order, rating=rating)
    now = utcnow()
    with all_communities():
        rows = queries.satisfaction_by_grid_month([world.ids["c1"], world.ids["c2"]], now - timedelta(days=1),
                                                  now + timedelta(days=1))
    mine = [r for r in rows if r.grid_id == world.ids["grid:c1"]]
    assert len(mine) == 1
    row = mine[0]
    assert (row.closed, row.rated, row.average_rating, row.satisfied_percent) == (2, 2, 4.0, 50.0)
    assert row.average_hours_to_close is not None and row.average_hours_to_close < 1
    assert db.session.scalar(select(func.count()).select_from(WorkOrder)) >= 2

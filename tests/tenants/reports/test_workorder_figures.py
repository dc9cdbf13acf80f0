"""Work orders on the dashboards and in recognition: opened, closed, overdue, hazards, the
average rating and time to close, the breakdown per grid, and grid workers' results."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.extensions import db
from core.figures.months import Month
from core.figures.registry import FigureRequest, compute
from core.identity.models import Member
from core.tenancy.context import use_community
from core.transactions import atomic
from tenants.workorders import actions as orders
from tenants.workorders.models import OrderCategory, WorkOrder
from tests.world_community import actor_of


def member(world, login):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(login)))


def figures(world):
    c1 = world.community("c1")
    return compute(FigureRequest([c1], Month.current(c1.timezone)))


def test_work_orders_are_counted_in_the_month(ctx, world):
    c1 = world.community("c1")
    before = figures(world)
    with use_community(c1.id):
        grid, red = actor_of(world, "c1_grid"), actor_of(world, "c1_red")
        order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == world.ids["order:c1"]))
        orders.do_accept(grid, order)
        orders.do_done(grid, order, note="换了灯泡")
        orders.do_confirm(red, order, rating=4)
        hazard = db.session.scalar(select(OrderCategory).where(OrderCategory.id == world.ids["hazard_category:c1"]))
        orders.do_report(red, reporter=member(world, "c1_red"), category=hazard, text="楼道堆放杂物，有火灾隐患")
        late = orders.do_report(red, reporter=member(world, "c1_red"), category=order.category,
                                text="水管漏水三天了")
        with atomic():
            late.deadline_at = datetime.now(UTC) - timedelta(hours=1)
    after = figures(world)
    cid = c1.id
    assert after["orders_opened"][cid] - before["orders_opened"][cid] == 2
    assert after["hazards_reported"][cid] - before["hazards_reported"][cid] == 1
    assert after["orders_closed"][cid] - before["orders_closed"][cid] == 1
    assert after["orders_overdue"][cid] - before["orders_overdue"][cid] == 1
    rating, before_rating = after["average_rating"][cid], before["average_rating"][cid]
    assert (rating.numerator - before_rating.numerator, rating.denominator - before_rating.denominator) == (4, 1)
    assert after["hours_to_close"][cid].denominator - before["hours_to_close"][cid].denominator == 1


def test_the_dashboard_shows_the_work_orders_and_the_breakdown_by_grid(app, web, world):
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/dashboard?section=workorders").get_data(as_text=True)
    for figure in ("orders_opened", "orders_closed", "orders_overdue", "hazards_reported", "average_rating"):
        assert f'data-figure="{figure}"' in page, figure
    assert 'data-test="breakdown-workorders_by_grid"' in page


def test_grid_workers_results_count_their_closed_orders(ctx, world):
    from tenants.recognition import metrics
    from tenants.recognition.queries import Period

    c1 = world.community("c1")
    with use_community(c1.id):
        start, end = Period.current("year", c1.timezone).bounds(c1.timezone)
        before = metrics.orders_closed(c1, start, end).get(world.member_id("c1_grid"), 0)
        grid, red = actor_of(world, "c1_grid"), actor_of(world, "c1_red")
        order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == world.ids["order:c1"]))
        orders.do_accept(grid, order)
        orders.do_done(grid, order, note="修好了")
        orders.do_confirm(red, order, rating=5)
        assert metrics.orders_closed(c1, start, end)[world.member_id("c1_grid")] == before + 1
        assert 1 <= metrics.average_rating(c1, start, end)[world.member_id("c1_grid")] <= 5
        # the leaderboard by grid: the world's residents live in c1 B1, in grid c1 G1
        groups = metrics.grids(c1)
        assert groups[world.member_id("c1_red")][1] == "c1 G1"
        assert metrics.buildings(c1)[world.member_id("c1_blue")][1] == "c1 B1"

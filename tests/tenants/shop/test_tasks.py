"""The Celery tasks (eager in tests): the sweeps find the communities with work and each
community's task enters that community itself; running them twice changes nothing more."""

from datetime import timedelta

from sqlalchemy import update

from core.extensions import db
from core.ledger.queries import balance
from core.types import utcnow
from tenants.shop import actions, tasks
from tenants.shop.models import OrderStatus, ShopOrder
from tenants.shop.queries import item_by_id, order_by_id
from tests.tenants.shop.conftest import give, inside, member


def test_sweep_expires_overdue_orders_in_every_community(app, world, rollback):
    placed = {}
    for name in ("c1", "c2"):
        with inside(app, world, name) as c:
            give(world, f"{name}_red", 15, community=name)
            red = member(world, f"{name}_red")
            order = actions.do_place_order(c, item_by_id(world.ids[f"item:{name}:rice"]), red, 1,
                                           actor=red.user)
            db.session.execute(update(ShopOrder).where(ShopOrder.id == order.id)
                               .values(expires_at=utcnow() - timedelta(minutes=1)))
            db.session.commit()
            placed[name] = order.id
    assert tasks.sweep_expired_orders.delay().get() >= 2
    assert tasks.sweep_expired_orders.delay().get() == 0
    for name, order_id in placed.items():
        with inside(app, world, name):
            assert order_by_id(order_id).status == OrderStatus.EXPIRED
            assert balance(member(world, f"{name}_red")) == 15


def test_reminder_sweep_reaches_communities_with_windows(app, world, rollback):
    from core.notifications.actions import inbox

    with inside(app, world, "c1") as c1:
        give(world, "c1_red", 20)
        now = utcnow()
        actions.do_add_dated_window(c1, starts_at=now - timedelta(days=1), ends_at=now + timedelta(hours=3),
                                    actor=None)
    assert tasks.sweep_closing_reminders.delay().get() >= 1
    tasks.sweep_closing_reminders.delay()
    with inside(app, world, "c1"):
        assert [n.kind for n in inbox(member(world, "c1_red"))] == ["shop.window_closing"]
    assert tasks.expire_orders.delay("not-an-id").get() == 0

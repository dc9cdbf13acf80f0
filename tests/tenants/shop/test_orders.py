"""Ordering, handing over, cancelling and expiring, through the actions."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.ledger.models import LedgerPosting, LedgerTransaction
from core.ledger.queries import balance, history, verify
from core.types import utcnow
from tenants.shop import actions, errors
from tenants.shop.models import OrderStatus, ShopItem, ShopOrder
from tenants.shop.queries import item_by_id
from tests.tenants.shop.conftest import give, member


def new_item(community, name="test rice", points=15, stock=5, **kw):
    return actions.do_create_item(community, name=name, points=points, stock=stock, actor=None, **kw)


def spend_of(order):
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.id == order.spend_transaction_id))


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(ShopOrder)),
        db.session.scalar(select(func.count()).select_from(LedgerPosting)),
    )


def test_order_takes_points_and_stock_in_one_go(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 40)
    item = new_item(c1, stock=5)
    order = actions.do_place_order(c1, item, red, 2, actor=red.user)
    assert order.status == OrderStatus.RESERVED
    assert order.points == 30
    assert balance(red) == 10
    assert item_by_id(item.id).stock == 3
    assert len(order.pickup_code) == 8
    entry = history(red)[0]
    assert (entry.points, entry.kind) == (-30, "shop")
    assert verify([c1.id]) == []


def test_collect_then_cancel_is_refused(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 15)
    item = new_item(c1)
    order = actions.do_place_order(c1, item, red, 1, actor=red.user)
    grid = member(world, "c1_grid")
    actions.do_collect_order(order, actor=grid.user)
    assert order.status == OrderStatus.COLLECTED
    assert order.closed_by == grid.user_id
    with pytest.raises(errors.OrderNotOpen) as caught:
        actions.do_cancel_order(c1, order, actor=red.user)
    assert caught.value.details["status"] == "collected"
    assert balance(red) == 0


def test_cancel_returns_points_and_stock_once(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 15)
    item = new_item(c1, stock=1)
    order = actions.do_place_order(c1, item, red, 1, actor=red.user)
    assert balance(red) == 0
    actions.do_cancel_order(c1, order, actor=red.user)
    assert order.status == OrderStatus.CANCELLED
    assert balance(red) == 15
    assert item_by_id(item.id).stock == 1
    with pytest.raises(errors.OrderNotOpen):
        actions.do_cancel_order(c1, order, actor=red.user)
    assert balance(red) == 15
    assert [e.kind for e in history(red)][:2] == ["refund", "shop"]
    assert verify([c1.id]) == []


def test_counter_sale_is_collected_at_once_and_records_staff_and_resident(c1, world):
    from core.ledger.assisted import assisted_by

    blue = member(world, "c1_blue")
    grid = member(world, "c1_grid")
    give(world, "c1_blue", 40)
    item = new_item(c1, name="oil", points=40, stock=2)
    order = actions.do_place_order(c1, item, blue, 1, actor=grid.user, at_counter=True)
    assert order.status == OrderStatus.COLLECTED and order.at_counter
    transaction = spend_of(order)
    assert transaction.actor_id == grid.user_id
    assert transaction.member_id == blue.id
    assert assisted_by(transaction).id == grid.user_id


def test_own_order_is_not_assisted(c1, world):
    from core.ledger.assisted import assisted_by

    red = member(world, "c1_red")
    give(world, "c1_red", 3)
    order = actions.do_place_order(c1, new_item(c1, points=3), red, 1, actor=red.user)
    transaction = spend_of(order)
    assert assisted_by(transaction) is None


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**12, "2", 1.5, True, None])
def test_bad_quantity_writes_nothing(c1, world, quantity):
    red = member(world, "c1_red")
    give(world, "c1_red", 100)
    item = new_item(c1)
    before = counts()
    with pytest.raises(errors.InvalidQuantity):
        actions.do_place_order(c1, item, red, quantity, actor=red.user)
    assert counts() == before
    assert item_by_id(item.id).stock == 5


def test_insufficient_points_writes_nothing(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 14)
    item = new_item(c1)
    before = counts()
    with pytest.raises(errors.InsufficientPoints) as caught:
        actions.do_place_order(c1, item, red, 1, actor=red.user)
    assert caught.value.details == {"needed": 15, "balance": 14}
    assert counts() == before
    assert item_by_id(item.id).stock == 5
    assert balance(red) == 14


def test_out_of_stock_writes_nothing(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 100)
    item = new_item(c1, stock=2)
    before = counts()
    with pytest.raises(errors.OutOfStock) as caught:
        actions.do_place_order(c1, item, red, 3, actor=red.user)
    assert caught.value.details["stock"] == 2
    assert counts() == before
    assert balance(red) == 100


def test_inactive_item_cannot_be_ordered(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 100)
    item = new_item(c1, active=False)
    with pytest.raises(errors.ItemUnavailable):
        actions.do_place_order(c1, item, red, 1, actor=red.user)


def test_per_member_limit_counts_open_orders_not_cancelled_ones(c1, world):
    red = member(world, "c1_red")
    blue = member(world, "c1_blue")
    give(world, "c1_red", 100)
    give(world, "c1_blue", 100)
    item = new_item(c1, points=3, stock=20, per_member_limit=2)
    first = actions.do_place_order(c1, item, red, 2, actor=red.user)
    before = counts()
    with pytest.raises(errors.LimitReached) as caught:
        actions.do_place_order(c1, item, red, 1, actor=red.user)
    assert caught.value.details == {"limit": 2, "taken": 2}
    assert counts() == before
    assert balance(red) == 94 and item_by_id(item.id).stock == 18
    # another member has their own limit
    actions.do_place_order(c1, item, blue, 2, actor=blue.user)
    # a cancelled order no longer counts
    actions.do_cancel_order(c1, first, actor=red.user)
    actions.do_place_order(c1, item, red, 1, actor=red.user)


def test_no_limit_unless_set(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 300)
    item = new_item(c1, points=3, stock=200)
    for _ in range(3):
        actions.do_place_order(c1, item, red, 30, actor=red.user)
    assert balance(red) == 30


def test_expiry_refunds_uncollected_orders_once(c1, world, app):
    red = member(world, "c1_red")
    give(world, "c1_red", 30)
    item = new_item(c1, stock=5)
    old = actions.do_place_order(c1, item, red, 1, actor=red.user)
    fresh = actions.do_place_order(c1, item, red, 1, actor=red.user)
    later = utcnow() + timedelta(days=14, minutes=1)
    db.session.execute(
        ShopOrder.__table__.update().where(ShopOrder.id == fresh.id)
        .values(expires_at=later + timedelta(days=1)))
    db.session.commit()
    assert actions.do_expire_orders(c1, now=later) == 1
    assert actions.do_expire_orders(c1, now=later) == 0  # idempotent
    db.session.refresh(old)
    db.session.refresh(fresh)
    assert old.status == OrderStatus.EXPIRED
    assert fresh.status == OrderStatus.RESERVED
    assert balance(red) == 15
    assert item_by_id(item.id).stock == 4
    from core.notifications.actions import inbox, text_of

    notices = inbox(red)
    assert [n.kind for n in notices] == ["shop.order_expired"]
    with app.test_request_context():
        assert "test rice" in text_of(notices[0])
    assert verify([c1.id]) == []


def test_expiry_days_is_a_community_setting(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 15)
    actions.do_set_shop_settings(c1, actor=None, expiry_days=3)
    order = actions.do_place_order(c1, new_item(c1), red, 1, actor=red.user)
    assert order.expires_at - order.created_at == timedelta(days=3)


def test_stock_never_below_zero_in_the_database(c1, world):
    from sqlalchemy.exc import IntegrityError

    item = new_item(c1, stock=0)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(ShopItem.__table__.update().where(ShopItem.id == item.id).values(stock=-1))


def test_restock_and_write_off(c1, world):
    item = new_item(c1, stock=2)
    assert actions.do_restock(item, 10, actor=None) == 12
    assert actions.do_restock(item, -12, actor=None) == 0
    with pytest.raises(errors.OutOfStock):
        actions.do_restock(item, -1, actor=None)
    assert item_by_id(item.id).stock == 0


def test_same_idempotency_key_returns_the_first_order(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 45)
    item = new_item(c1)
    first = actions.do_place_order(c1, item, red, 1, actor=red.user, idempotency_key="k1")
    again = actions.do_place_order(c1, item, red, 1, actor=red.user, idempotency_key="k1")
    assert again.id == first.id
    assert balance(red) == 30
    with pytest.raises(errors.IdempotencyKeyReused):
        actions.do_place_order(c1, item, red, 2, actor=red.user, idempotency_key="k1")
    # another user's identical key is theirs alone
    blue = member(world, "c1_blue")
    give(world, "c1_blue", 15)
    other = actions.do_place_order(c1, item, blue, 1, actor=blue.user, idempotency_key="k1")
    assert other.id != first.id

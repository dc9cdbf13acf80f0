"""Every change to the shop. Each ``do_*`` owns its transaction and leaves an audit row.

Concurrency (PostgreSQL, READ COMMITTED; SQLite serialises writers with BEGIN IMMEDIATE):
- stock moves only by a guarded UPDATE, ``stock = stock - q WHERE id = .. AND stock >= q``,
  and the row count says whether it happened. PostgreSQL re-checks the WHERE against the
  newest row version after waiting for a concurrent writer, so thirty buyers of the last five
  get exactly five rows updated; no read-then-write window exists to lose an update in. (A
  ``SELECT ... FOR UPDATE`` would also work but is two round trips and holds the lock
  longer; SQLite has no row locks at all, and the guarded UPDATE is correct there too.)
- points move through ``core.ledger.actions`` in the same transaction, which locks the
  wallet: one member's concurrent orders queue there, so the per-member limit, counted
  after that lock, sees every earlier order of the member.
- lock order is always item, then wallet (ordering) or order, item, wallet (cancel,
  expiry): no cycles, no deadlocks.
- an order's status changes by a guarded UPDATE ``WHERE status = 'reserved'``, so a cancel
  racing the expiry task or a hand-over refunds at most once; the refund's ledger key
  (``shop:refund:<order>``) is a second guard.
"""

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.ids import new_id
from core.ledger import actions as ledger
from core.transactions import atomic
from core.types import utcnow
from tenants.shop import errors
from tenants.shop import windows as rules
from tenants.shop.codes import new_pickup_code
from tenants.shop.models import (
    OrderStatus,
    ShopItem,
    ShopItemPhoto,
    ShopOrder,
    ShopWindow,
    WindowKind,
)
from tenants.shop.queries import shop_settings, taken_in_period, windows

MAX_QUANTITY = 99
MAX_STOCK = 1_000_000
MAX_POINTS = 1_000_000


def _actor_id(actor):
    return getattr(actor, "id", actor)


# --- items ---------------------------------------------------------------------------------


def do_create_item(community, *, name, points, stock, actor, category="", per_member_limit=None,
                   low_stock_at=5, active=True) -> ShopItem:
    with atomic():
        item = ShopItem(community_id=community.id, name=name.strip(), category=(category or "").strip(),
                        points=points, stock=stock, per_member_limit=per_member_limit,
                        low_stock_at=low_stock_at, active=active)
        db.session.add(item)
        db.session.flush()
        record("shop.item_created", _actor_id(actor), item=item.id, name=item.name, points=points,
               stock=stock)
    return item


EDITABLE = ("name", "category", "points", "per_member_limit", "low_stock_at", "active")


def do_update_item(item, *, actor, **changes) -> ShopItem:
    """Change what an item is (not its stock: that is ``do_restock``)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with atomic():
        before = {key: getattr(item, key) for key in changes}
        for key, value in changes.items():
            setattr(item, key, value.strip() if isinstance(value, str) else value)
        record("shop.item_updated", _actor_id(actor), item=item.id, before=before, after=changes)
    return item


def do_restock(item, delta: int, *, actor, note: str = "") -> int:
    """Add (or, for breakage, remove) stock; never below zero. Returns the new stock."""
    with atomic():
        result = db.session.execute(
            update(ShopItem)
            .where(ShopItem.id == item.id, ShopItem.stock + delta >= 0, ShopItem.stock + delta <= MAX_STOCK)
            .values(stock=ShopItem.stock + delta)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise errors.OutOfStock(stock=_fresh_stock(item.id))
        stock = _fresh_stock(item.id)
        record("shop.restocked", _actor_id(actor), item=item.id, delta=delta, stock=stock, note=note[:200])
    return stock


def do_set_photo(item, data: bytes, *, actor) -> None:
    from tenants.shop.photos import reencode

    jpeg = reencode(data)  # raises InvalidPhoto before anything is written
    with atomic():
        photo = db.session.scalar(select(ShopItemPhoto).where(ShopItemPhoto.item_id == item.id))
        if photo is None:
            photo = ShopItemPhoto(community_id=item.community_id, item_id=item.id)
            db.session.add(photo)
        photo.content_type = "image/jpeg"
        photo.data = jpeg
        item.photo_version = (item.photo_version or 0) + 1
        record("shop.photo_set", _actor_id(actor), item=item.id, bytes=len(jpeg))


def do_remove_photo(item, *, actor) -> None:
    with atomic():
        photo = db.session.scalar(select(ShopItemPhoto).where(ShopItemPhoto.item_id == item.id))
        if photo is not None:
            db.session.delete(photo)
            item.photo_version = (item.photo_version or 0) + 1
            record("shop.photo_removed", _actor_id(actor), item=item.id)


def _fresh_stock(item_id) -> int:
    return db.session.scalar(
        select(ShopItem.stock).where(ShopItem.id == item_id).execution_options(populate_existing=True)
    ) or 0


# --- orders --------------------------------------------------------------------------------


def _ledger_key(kind: str, actor, key: str | None) -> str | None:
    """The client's Idempotency-Key, namespaced per action and user (the ledger's keys are
    per community, and two people may well both send "1")."""
    if not key:
        return None
    raw = f"shop:{kind}:{_actor_id(actor)}:{key}"
    return raw if len(raw) <= 200 else "shop:" + hashlib.sha256(raw.encode()).hexdigest()


def _replayed_order(community, key, item, member, quantity, at_counter) -> ShopOrder | None:
    previous = ledger.existing_transaction(community.id, key)
    if previous is None:
        return None
    order = db.session.scalar(select(ShopOrder).where(ShopOrder.spend_transaction_id == previous.id))
    if order is None or (order.item_id, order.member_id, order.quantity, order.at_counter) != (
            item.id, member.id, quantity, at_counter):
        raise errors.IdempotencyKeyReused()
    return order


def do_place_order(community, item, member, quantity, *, actor, at_counter=False,
                   idempotency_key=None, now=None) -> ShopOrder:
    """Reserve ``quantity`` of ``item`` for ``member``: stock held and points taken in one
    transaction. ``at_counter``: staff hand it over on the spot (created collected).
    ``actor`` is the user placing it: the member's own, or staff acting for them."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise errors.InvalidQuantity(most=MAX_QUANTITY)
    now = now or utcnow()
    key = _ledger_key("order", actor, idempotency_key)
    with atomic():
        if key and (order := _replayed_order(community, key, item, member, quantity, at_counter)):
            return order
        configured = windows()
        if not rules.is_open(configured, community.timezone, now):
            raise errors.ShopClosed(next_opening=rules.next_opening(configured, community.timezone, now))
        if not item.active:
            raise errors.ItemUnavailable()
        taken = db.session.execute(
            update(ShopItem)
            .where(ShopItem.id == item.id, ShopItem.active.is_(True), ShopItem.stock >= quantity)
            .values(stock=ShopItem.stock - quantity)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise errors.OutOfStock(stock=_fresh_stock(item.id))
        order_id = new_id()
        points = item.points * quantity
        try:
            spend = ledger.spend(
                community, member, points, to=ledger.SHOP,
                reason=f"{item.name} × {quantity}", actor=_actor_id(actor),
                cause=ledger.Cause("order", order_id), idempotency_key=key or f"shop:order:{order_id}",
                kind="shop",
            )
        except ledger.InsufficientPoints as exc:
            raise errors.InsufficientPoints(needed=points, balance=exc.details.get("balance", 0)) from exc
        except ledger.IdempotencyKeyReused as exc:
            raise errors.IdempotencyKeyReused() from exc
        if item.per_member_limit:
            period = rules.limit_period(configured, community.timezone, now)
            already = taken_in_period(member.id, item.id, period.start, period.end)
            if already + quantity > item.per_member_limit:
                raise errors.LimitReached(limit=item.per_member_limit, taken=already)
        order = _insert_order(
            id=order_id, community_id=community.id, item_id=item.id, member_id=member.id,
            quantity=quantity, points=points, item_name=item.name,
            status=OrderStatus.COLLECTED if at_counter else OrderStatus.RESERVED,
            placed_by=_actor_id(actor), at_counter=at_counter, created_at=now,
            expires_at=now + timedelta(days=shop_settings(community)["expiry_days"]),
            closed_at=now if at_counter else None, closed_by=_actor_id(actor) if at_counter else None,
            spend_transaction_id=spend.id,
        )
        record("shop.order_placed", _actor_id(actor), order=order.id, item=item.id, member=member.id,
               quantity=quantity, points=points, at_counter=at_counter)
    return order


def _insert_order(**values) -> ShopOrder:
    """Insert with a fresh pickup code; a clash with a code in use (unlikely: 23^8) retries."""
    for _attempt in range(5):
        order = ShopOrder(pickup_code=new_pickup_code(), **values)
        try:
            with db.session.begin_nested():
                db.session.add(order)
            return order
        except IntegrityError:
            db.session.expunge(order)
            continue
    raise RuntimeError("could not find a free pickup code")


def _close(order, status: OrderStatus, actor, now) -> None:
    result = db.session.execute(
        update(ShopOrder)
        .where(ShopOrder.id == order.id, ShopOrder.status == OrderStatus.RESERVED)
        .values(status=status, closed_at=now, closed_by=_actor_id(actor))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(ShopOrder.status).where(ShopOrder.id == order.id)
                                    .execution_options(populate_existing=True))
        raise errors.OrderNotOpen(status=str(current))


def do_collect_order(order, *, actor, now=None) -> ShopOrder:
    """Staff hand the order over."""
    now = now or utcnow()
    with atomic():
        _close(order, OrderStatus.COLLECTED, actor, now)
        record("shop.order_collected", _actor_id(actor), order=order.id, member=order.member_id)
    db.session.refresh(order)
    return order


def _give_back(community, order, status: OrderStatus, actor, now) -> None:
    from core.identity.models import Member

    _close(order, status, actor, now)
    db.session.execute(
        update(ShopItem).where(ShopItem.id == order.item_id)
        .values(stock=ShopItem.stock + order.quantity)
        .execution_options(synchronize_session=False)
    )
    member = db.session.scalar(select(Member).where(Member.id == order.member_id))
    refund = ledger.refund(
        community, member, order.points, source=ledger.shop_account(community.id),
        reason=f"{order.item_name} × {order.quantity}", actor=_actor_id(actor),
        cause=ledger.Cause("order", order.id), idempotency_key=f"shop:refund:{order.id}",
    )
    db.session.execute(
        update(ShopOrder).where(ShopOrder.id == order.id).values(refund_transaction_id=refund.id)
        .execution_options(synchronize_session=False)
    )
    return member


def do_cancel_order(community, order, *, actor, now=None) -> ShopOrder:
    """Cancel before pickup: points and stock go back."""
    now = now or utcnow()
    with atomic():
        _give_back(community, order, OrderStatus.CANCELLED, actor, now)
        record("shop.order_cancelled", _actor_id(actor), order=order.id, member=order.member_id,
               points=order.points)
    db.session.refresh(order)
    return order


def do_expire_orders(community, *, now=None) -> int:
    """Refund every reserved order past its pickup deadline, one transaction each.
    Running it twice (or alongside a cancel) refunds nothing twice."""
    from core.notifications.actions import notify
    from tenants.shop.queries import expired_order_ids

    now = now or utcnow()
    done = 0
    for order_id in expired_order_ids(now):
        try:
            with atomic():
                order = db.session.scalar(select(ShopOrder).where(ShopOrder.id == order_id))
                member = _give_back(community, order, OrderStatus.EXPIRED, None, now)
                notify(member, "shop.order_expired", dedupe_key=f"shop:expired:{order.id}",
                       item=order.item_name, quantity=order.quantity, points=order.points)
                record("shop.order_expired", None, order=order.id, member=order.member_id,
                       points=order.points)
            done += 1
        except errors.OrderNotOpen:
            continue  # collected or cancelled meanwhile
    return done


# --- windows and settings ------------------------------------------------------------------


def do_add_weekly_window(community, *, weekday: int, opens: time, closes: time, actor) -> ShopWindow:
    if not 0 <= weekday <= 6 or closes <= opens:
        raise ValueError("a weekday 0-6 and a closing time after the opening time")
    with atomic():
        window = ShopWindow(community_id=community.id, kind=WindowKind.WEEKLY, weekday=weekday,
                            opens=opens, closes=closes)
        db.session.add(window)
        db.session.flush()
        record("shop.window_added", _actor_id(actor), window=window.id, kind="weekly", weekday=weekday,
               opens=opens.isoformat(), closes=closes.isoformat())
    return window


def local_instant(community, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(community.timezone)).astimezone(UTC)


def do_add_dated_window(community, *, starts_at: datetime, ends_at: datetime, actor) -> ShopWindow:
    if ends_at <= starts_at:
        raise ValueError("the window must end after it starts")
    with atomic():
        window = ShopWindow(community_id=community.id, kind=WindowKind.DATED, starts_at=starts_at,
                            ends_at=ends_at)
        db.session.add(window)
        db.session.flush()
        record("shop.window_added", _actor_id(actor), window=window.id, kind="dated",
               starts_at=starts_at, ends_at=ends_at)
    return window


def do_remove_window(window, *, actor) -> None:
    with atomic():
        record("shop.window_removed", _actor_id(actor), window=window.id)
        db.session.delete(window)


def do_set_shop_settings(community, *, actor, **values) -> dict:
    from tenants.shop.queries import DEFAULT_SETTINGS

    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise TypeError(f"unknown shop settings: {sorted(unknown)}")
    with atomic():
        settings = dict(community.settings or {})
        shop = {**shop_settings(community), **values}
        settings["shop"] = shop
        community.settings = settings  # a new dict: the JSON column sees the change
        record("shop.settings_changed", _actor_id(actor), **values)
    return shop


# --- reminders -----------------------------------------------------------------------------


def do_send_closing_reminders(community, *, now=None) -> int:
    """Tell residents a window is about to close: those with an order to collect, and those
    with enough points for something in stock. Once per member and window occurrence."""
    from core.notifications.actions import notify
    from tenants.shop.queries import reminder_recipients

    now = now or utcnow()
    hours = shop_settings(community)["remind_hours"]
    configured = windows()
    period = rules.current_period(configured, community.timezone, now) if configured else None
    if not hours or period is None or now < period.end - timedelta(hours=hours):
        return 0
    sent = 0
    with atomic():
        for member in reminder_recipients():
            key = f"shop:closing:{period.window_id}:{period.end.isoformat()}"
            if notify(member, "shop.window_closing", dedupe_key=key, closes_at=period.end.isoformat()):
                sent += 1
        if sent:
            record("shop.reminders_sent", None, count=sent, closes_at=period.end)
    return sent


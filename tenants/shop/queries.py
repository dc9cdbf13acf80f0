"""Reading the shop: items, orders, windows, settings, figures for staff."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member
from core.ids import parse_id
from tenants.shop import windows as rules
from tenants.shop.models import (
    OrderStatus,
    ShopItem,
    ShopItemPhoto,
    ShopOrder,
    ShopWindow,
    WindowKind,
)

DEFAULT_SETTINGS = {
    # uncollected orders are cancelled and refunded after this many days
    "expiry_days": 14,
    # residents are reminded this many hours before a window closes (0: no reminder)
    "remind_hours": 24,
}
OPEN_STATUSES = (OrderStatus.RESERVED, OrderStatus.COLLECTED)


def shop_settings(community) -> dict:
    stored = (community.settings or {}).get("shop") or {}
    return {key: stored.get(key, default) for key, default in DEFAULT_SETTINGS.items()}


# --- access: missing and another community's answer the same (None) ------------------------


def item_by_id(item_id) -> ShopItem | None:
    item_id = parse_id(item_id)
    return item_id and db.session.scalar(select(ShopItem).where(ShopItem.id == item_id))


def order_by_id(order_id) -> ShopOrder | None:
    order_id = parse_id(order_id)
    return order_id and db.session.scalar(select(ShopOrder).where(ShopOrder.id == order_id))


def access_order(actor, order_id) -> ShopOrder | None:
    """An order the actor may see: staff any of the community's, a resident their own."""
    order = order_by_id(order_id)
    if order is None:
        return None
    if actor.is_staff or (actor.member is not None and actor.member.id == order.member_id):
        return order
    return None


def order_by_code(text) -> ShopOrder | None:
    from tenants.shop.codes import normalise_pickup_code

    code = normalise_pickup_code(text)
    return code and db.session.scalar(select(ShopOrder).where(ShopOrder.pickup_code == code))


# --- items ---------------------------------------------------------------------------------


def items(*, active_only: bool = True) -> list[ShopItem]:
    query = select(ShopItem).order_by(ShopItem.category, ShopItem.points, ShopItem.name)
    if active_only:
        query = query.where(ShopItem.active.is_(True))
    return list(db.session.scalars(query))


def low_stock(limit: int = 100) -> list[ShopItem]:
    return list(db.session.scalars(
        select(ShopItem).where(ShopItem.active.is_(True), ShopItem.stock <= ShopItem.low_stock_at)
        .order_by(ShopItem.stock, ShopItem.name).limit(limit)
    ))


def photo_of(item) -> ShopItemPhoto | None:
    return db.session.scalar(select(ShopItemPhoto).where(ShopItemPhoto.item_id == item.id))


# --- windows -------------------------------------------------------------------------------


def windows() -> list[ShopWindow]:
    return list(db.session.scalars(
        select(ShopWindow).order_by(ShopWindow.kind, ShopWindow.weekday, ShopWindow.opens,
                                    ShopWindow.starts_at)))


@dataclass
class ShopStatus:
    open: bool
    always_open: bool
    closes_at: datetime | None
    next_opening: datetime | None


def shop_status(community, now: datetime) -> ShopStatus:
    configured = windows()
    period = rules.current_period(configured, community.timezone, now) if configured else None
    return ShopStatus(
        open=rules.is_open(configured, community.timezone, now),
        always_open=not configured,
        closes_at=period.end if period else None,
        next_opening=None if period else rules.next_opening(configured, community.timezone, now),
    )


def upcoming_windows(community, now: datetime, count: int = 4) -> list[rules.Period]:
    return [p for p in rules.periods(windows(), community.timezone, now) if p.end > now][:count]


def describe_window(window, tz: str) -> dict:
    if window.kind == WindowKind.WEEKLY:
        return {"kind": "weekly", "weekday": window.weekday,
                "opens": window.opens.strftime("%H:%M"), "closes": window.closes.strftime("%H:%M")}
    zone = ZoneInfo(tz)
    return {"kind": "dated", "starts_at": window.starts_at.astimezone(zone),
            "ends_at": window.ends_at.astimezone(zone)}


# --- orders --------------------------------------------------------------------------------


def taken_in_period(member_id, item_id, start: datetime, end: datetime) -> int:
    """How many of the item the member holds or has collected from orders of this period."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(ShopOrder.quantity), 0)).where(
            ShopOrder.member_id == member_id, ShopOrder.item_id == item_id,
            ShopOrder.status.in_(OPEN_STATUSES),
            ShopOrder.created_at >= start, ShopOrder.created_at < end,
        )
    )
    return int(total or 0)


def orders_of(member_id, limit: int = 50) -> list[ShopOrder]:
    return list(db.session.scalars(
        select(ShopOrder).where(ShopOrder.member_id == member_id)
        .order_by(ShopOrder.created_at.desc(), ShopOrder.id.desc()).limit(limit)))


def orders(*, status=None, member_id=None, before=None, limit: int = 50) -> list[ShopOrder]:
    """Newest first; ``before`` is the cursor (an order's created_at and id)."""
    query = select(ShopOrder).order_by(ShopOrder.created_at.desc(), ShopOrder.id.desc())
    if status is not None:
        query = query.where(ShopOrder.status == status)
    if member_id is not None:
        query = query.where(ShopOrder.member_id == member_id)
    if before is not None:
        at, order_id = before
        query = query.where((ShopOrder.created_at < at)
                            | ((ShopOrder.created_at == at) & (ShopOrder.id < order_id)))
    return list(db.session.scalars(query.limit(limit)))


def waiting_orders(limit: int = 100) -> list[tuple[ShopOrder, Member]]:
    rows = db.session.execute(
        select(ShopOrder, Member).join(
            Member, (Member.community_id == ShopOrder.community_id) & (Member.id == ShopOrder.member_id))
        .where(ShopOrder.status == OrderStatus.RESERVED)
        .order_by(ShopOrder.created_at).limit(limit))
    return [(order, member) for order, member in rows]


def expired_order_ids(now: datetime, limit: int = 500) -> list:
    return list(db.session.scalars(
        select(ShopOrder.id).where(ShopOrder.status == OrderStatus.RESERVED, ShopOrder.expires_at <= now)
        .order_by(ShopOrder.expires_at).limit(limit)))


def members_by_id(ids) -> dict:
    ids = list(set(ids))
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}


def reminder_recipients() -> list[Member]:
    """Active members with an order waiting, or with enough points for an item in stock."""
    from core.ledger.models import AccountKind, LedgerAccount

    cheapest = select(func.min(ShopItem.points)).where(
        ShopItem.active.is_(True), ShopItem.stock > 0).scalar_subquery()
    waiting = select(ShopOrder.member_id).where(ShopOrder.status == OrderStatus.RESERVED)
    can_afford = select(LedgerAccount.member_id).where(
        LedgerAccount.kind == AccountKind.WALLET, LedgerAccount.balance >= cheapest)
    return list(db.session.scalars(
        select(Member).where(Member.active.is_(True),
                             Member.id.in_(waiting) | Member.id.in_(can_afford))
        .order_by(Member.number)))

"""The shop's JSON API (API.md: ``POST /shop/items``, ``POST /shop/orders``; the rest is ours,
documented in the OpenAPI document)."""

import base64
from datetime import datetime

from flask import g
from flask.views import MethodView
from flask_babel import gettext as _

from core.api.framework import (
    ApiError,
    community_api_blueprint,
    idempotent,
    not_found,
    require_role,
)
from core.identity.models import Role
from core.ids import parse_id
from core.ledger.queries import balance
from core.tenancy.access import NotFound, access_member
from core.types import utcnow
from tenants.shop import actions, errors, queries
from tenants.shop.models import OrderStatus, ShopWindow
from tenants.shop.schemas import (
    ItemIn,
    ItemOut,
    ItemPage,
    OrderIn,
    OrderListArgs,
    OrderOut,
    OrderPage,
    PageArgs,
    RestockIn,
    StatusOut,
    WindowIn,
    WindowList,
    WindowOut,
)

blp = community_api_blueprint("api_shop", __name__, "/shop", description="The points shop")


def shop_error(exc: errors.ShopError) -> ApiError:
    message = exc.message()
    return ApiError(exc.status, exc.code, message, errors={exc.field: [message]} if exc.field else None)


# --- cursors: opaque, (created_at, id) of the last row of the page --------------------------


def _cursor_of(row) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor):
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _sep, row_id = raw.partition("|")
        parsed_at, parsed_id = datetime.fromisoformat(at), parse_id(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid", _("The cursor is not valid."),
                       errors={"cursor": [_("Not a cursor from this list.")]}) from exc
    if parsed_id is None or parsed_at.tzinfo is None:
        raise ApiError(422, "invalid", _("The cursor is not valid."),
                       errors={"cursor": [_("Not a cursor from this list.")]})
    return parsed_at, parsed_id


def _page(rows, limit):
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": _cursor_of(rows[-1]) if more and rows else None}


# --- items ---------------------------------------------------------------------------------


def _item(item_id):
    item = queries.item_by_id(item_id)
    if item is None or (not item.active and not g.actor.is_staff):
        raise not_found()
    return item


@blp.route("/items")
class Items(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ItemPage)
    def get(self, args):
        """The shop's items, newest first (residents: those on offer; staff: all)."""
        from sqlalchemy import select

        from core.extensions import db
        from tenants.shop.models import ShopItem

        query = select(ShopItem).order_by(ShopItem.created_at.desc(), ShopItem.id.desc())
        if not g.actor.is_staff:
            query = query.where(ShopItem.active.is_(True))
        before = _parse_cursor(args["cursor"])
        if before:
            at, row_id = before
            query = query.where((ShopItem.created_at < at)
                                | ((ShopItem.created_at == at) & (ShopItem.id < row_id)))
        rows = list(db.session.scalars(query.limit(args["limit"] + 1)))
        return _page(rows, args["limit"])

    @blp.arguments(ItemIn)
    @blp.response(201, ItemOut)
    def post(self, body):
        """Put an item on the shelf (community admin)."""
        require_role(Role.ADMIN)
        return actions.do_create_item(g.community, actor=g.actor.user, **body)


@blp.route("/items/<item_id>")
class ItemDetail(MethodView):
    @blp.response(200, ItemOut)
    def get(self, item_id):
        """One item."""
        return _item(item_id)


@blp.route("/items/<item_id>/restock")
class ItemRestock(MethodView):
    @blp.arguments(RestockIn)
    @blp.response(200, ItemOut)
    def post(self, body, item_id):
        """Add stock (negative: remove broken goods); never below zero (staff)."""
        require_role(Role.GRID_WORKER)
        item = _item(item_id)
        try:
            actions.do_restock(item, body["delta"], actor=g.actor.user, note=body["note"])
        except errors.ShopError as exc:
            raise shop_error(exc) from exc
        return queries.item_by_id(item.id)


# --- orders --------------------------------------------------------------------------------


def _order_out(order):
    order.balance = balance(_member(order.member_id))
    return order


def _member(member_id):
    return queries.members_by_id([member_id])[member_id]


def _target_member(member_id):
    """The member an order is for: the caller, or (staff) anyone in the community."""
    if member_id is None:
        if g.actor.member is None:
            message = _("Name the member this order is for.")
            raise ApiError(422, "invalid", message, errors={"member": [message]})
        return g.actor.member
    try:
        return access_member(g.actor, member_id)
    except NotFound as exc:
        message = _("There is no such member in this community.")
        raise ApiError(422, "unknown_member", message, errors={"member": [message]}) from exc


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderListArgs, location="query")
    @blp.response(200, OrderPage)
    def get(self, args):
        """Orders, newest first: staff see the community's, a resident their own."""
        member_id = args.get("member")
        if not g.actor.is_staff:
            if g.actor.member is None:
                return {"items": [], "next_cursor": None}
            if member_id is not None and member_id != g.actor.member.id:
                return {"items": [], "next_cursor": None}
            member_id = g.actor.member.id
        if "code" in args:
            order = queries.order_by_code(args["code"])
            rows = [order] if order and (member_id is None or order.member_id == member_id) else []
            return {"items": rows, "next_cursor": None}
        status = OrderStatus(args["status"]) if "status" in args else None
        rows = queries.orders(status=status, member_id=member_id, before=_parse_cursor(args["cursor"]),
                              limit=args["limit"] + 1)
        return _page(rows, args["limit"])

    @idempotent
    @blp.arguments(OrderIn)
    @blp.response(201, OrderOut)
    @blp.alt_response(409, description="insufficient_points, out_of_stock, shop_closed, "
                      "limit_reached, item_unavailable, idempotency_key_reused")
    @blp.alt_response(422, description="invalid input; unknown_item, unknown_member")
    def post(self, body):
        """Order an item: stock held and points taken at once (the member, or staff for a
        member). With ``collect: true`` (staff) it is a counter sale, handed over at once.
        Send an ``Idempotency-Key`` to retry safely."""
        from flask import g as request_g

        member = _target_member(body.get("member"))
        if body["collect"]:
            require_role(Role.GRID_WORKER)
        item = queries.item_by_id(body["item"])
        if item is None:
            raise shop_error(errors.UnknownItem())
        try:
            order = actions.do_place_order(
                g.community, item, member, body["quantity"], actor=g.actor.user,
                at_counter=body["collect"], idempotency_key=getattr(request_g, "idempotency_key", None),
            )
        except errors.ShopError as exc:
            raise shop_error(exc) from exc
        return _order_out(order)


def _order(order_id):
    order = queries.access_order(g.actor, order_id)
    if order is None:
        raise not_found()
    return order


@blp.route("/orders/<order_id>")
class OrderDetail(MethodView):
    @blp.response(200, OrderOut)
    def get(self, order_id):
        """One order (staff, or the member it is for)."""
        return _order_out(_order(order_id))


@blp.route("/orders/<order_id>/collect")
class OrderCollect(MethodView):
    @blp.response(200, OrderOut)
    @blp.alt_response(409, description="order_closed")
    def post(self, order_id):
        """Hand the order over (staff)."""
        order = _order(order_id)
        require_role(Role.GRID_WORKER)
        try:
            actions.do_collect_order(order, actor=g.actor.user)
        except errors.ShopError as exc:
            raise shop_error(exc) from exc
        return _order_out(order)


@blp.route("/orders/<order_id>/cancel")
class OrderCancel(MethodView):
    @idempotent
    @blp.response(200, OrderOut)
    @blp.alt_response(409, description="order_closed")
    def post(self, order_id):
        """Cancel before pickup: points and stock go back (staff, or the member)."""
        order = _order(order_id)
        try:
            actions.do_cancel_order(g.community, order, actor=g.actor.user)
        except errors.ShopError as exc:
            raise shop_error(exc) from exc
        return _order_out(order)


# --- opening -------------------------------------------------------------------------------


@blp.route("/status")
class Status(MethodView):
    @blp.response(200, StatusOut)
    def get(self):
        """Whether the shop is open now, when it closes, when it next opens."""
        return queries.shop_status(g.community, utcnow())


@blp.route("/windows")
class Windows(MethodView):
    @blp.response(200, WindowList)
    def get(self):
        """Redemption windows; none means the shop is always open."""
        return {"items": queries.windows()}

    @blp.arguments(WindowIn)
    @blp.response(201, WindowOut)
    def post(self, body):
        """Add a redemption window (community admin): weekly (weekday, opens, closes in the
        community's local time) or dated (starts_at, ends_at)."""
        require_role(Role.ADMIN)
        if body["kind"] == "weekly":
            return actions.do_add_weekly_window(g.community, weekday=body["weekday"], opens=body["opens"],
                                                closes=body["closes"], actor=g.actor.user)
        return actions.do_add_dated_window(g.community, starts_at=body["starts_at"], ends_at=body["ends_at"],
                                           actor=g.actor.user)


@blp.route("/windows/<window_id>")
class WindowDetail(MethodView):
    @blp.response(204)
    def delete(self, window_id):
        """Remove a redemption window (community admin)."""
        from sqlalchemy import select

        from core.extensions import db

        require_role(Role.ADMIN)
        window_id = parse_id(window_id)
        window = window_id and db.session.scalar(select(ShopWindow).where(ShopWindow.id == window_id))
        if window is None:
            raise not_found()
        actions.do_remove_window(window, actor=g.actor.user)

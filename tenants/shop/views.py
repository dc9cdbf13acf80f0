"""The shop's pages: residents (phone first, one thing per page), staff at the counter, and
the admin's shelf, windows and settings."""

from datetime import datetime

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.ledger.queries import balance
from core.tenancy.access import NotFound, access_member
from core.types import utcnow
from core.web.community import community_blueprint, require_role
from core.web.qr import qr_response
from tenants.shop import actions, errors, queries
from tenants.shop.codes import grouped
from tenants.shop.forms import (
    AssistedOrderForm,
    DatedWindowForm,
    ItemForm,
    PickupForm,
    QuantityForm,
    RestockForm,
    SettingsForm,
    WeeklyWindowForm,
)
from tenants.shop.models import OrderStatus, ShopWindow

bp = community_blueprint("shop", __name__, "/shop")


@bp.app_template_filter("pickup_code")
def _pickup_code(code):
    return grouped(code)


def _item_or_404(item_id, *, staff_view=False):
    item = queries.item_by_id(item_id)
    if item is None or (not item.active and not (staff_view and g.actor.is_staff)):
        abort(404)
    return item


def _order_or_404(order_id):
    order = queries.access_order(g.actor, order_id)
    if order is None:
        abort(404)
    return order


# --- residents -----------------------------------------------------------------------------


@bp.get("/")
def index():
    now = utcnow()
    member = g.actor.member
    return render_template(
        "tenants/shop/index.html", items=queries.items(), status=queries.shop_status(g.community, now),
        balance=balance(member) if member else None,
        upcoming=queries.upcoming_windows(g.community, now),
    )


@bp.route("/items/<item_id>", methods=["GET", "POST"])
def item(item_id):
    item = _item_or_404(item_id)
    member = g.actor.member
    form = QuantityForm()
    status_code, problem = 200, None
    if member is not None and form.validate_on_submit():
        try:
            order = actions.do_place_order(g.community, item, member, form.quantity.data, actor=g.actor.user)
        except errors.ShopError as exc:
            problem, status_code = exc.message(), exc.status
        else:
            flash(_("Reserved. Show this code when you collect it."), "success")
            return redirect(url_for("shop.order", order_id=order.id))
    elif form.is_submitted():
        status_code = 422 if member is not None else 403
    return render_template(
        "tenants/shop/item.html", item=item, form=form, problem=problem,
        balance=balance(member) if member else None,
        status=queries.shop_status(g.community, utcnow()),
    ), status_code


@bp.get("/items/<item_id>/photo")
def item_photo(item_id):
    item = _item_or_404(item_id, staff_view=True)
    photo = queries.photo_of(item)
    if photo is None:
        abort(404)
    response = Response(photo.data, mimetype=photo.content_type)
    # Members only (the route checks), so private; the URL carries ?v=<version>.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/orders")
def my_orders():
    member = g.actor.member
    if member is None:
        abort(404)
    return render_template("tenants/shop/my_orders.html", orders=queries.orders_of(member.id))


@bp.get("/orders/<order_id>")
def order(order_id):
    order = _order_or_404(order_id)
    member = queries.members_by_id([order.member_id])[order.member_id]
    placed_by_staff = order.placed_by is not None and order.placed_by != member.user_id
    return render_template("tenants/shop/order.html", order=order, member=member,
                           placed_by_staff=placed_by_staff, is_staff=g.actor.is_staff,
                           own=g.actor.member is not None and g.actor.member.id == order.member_id)


@bp.get("/orders/<order_id>/qr.png")
def order_qr(order_id):
    order = _order_or_404(order_id)
    if order.status != OrderStatus.RESERVED:
        abort(404)
    return qr_response(order.pickup_code)


@bp.post("/orders/<order_id>/cancel")
def cancel(order_id):
    order = _order_or_404(order_id)
    try:
        actions.do_cancel_order(g.community, order, actor=g.actor.user)
    except errors.ShopError as exc:
        flash(exc.message(), "error")
    else:
        flash(_("Cancelled. %(points)d points are back in the account.", points=order.points), "success")
    return redirect(url_for("shop.order", order_id=order.id))


# --- staff: the counter --------------------------------------------------------------------


@bp.route("/counter", methods=["GET", "POST"])
def counter():
    require_role(Role.GRID_WORKER)
    form = PickupForm()
    status_code = 200
    if form.validate_on_submit():
        found = queries.order_by_code(form.code.data)
        if found is not None:
            return redirect(url_for("shop.order", order_id=found.id))
        form.code.errors.append(_("No order has this pickup code. Check the letters and try again."))
        status_code = 404
    elif form.is_submitted():
        status_code = 422
    waiting = queries.waiting_orders()
    return render_template("tenants/shop/counter.html", form=form, waiting=waiting,
                           low=queries.low_stock()), status_code


@bp.post("/orders/<order_id>/collect")
def collect(order_id):
    require_role(Role.GRID_WORKER)
    order = _order_or_404(order_id)
    try:
        actions.do_collect_order(order, actor=g.actor.user)
    except errors.ShopError as exc:
        flash(exc.message(), "error")
    else:
        flash(_("Handed over: %(item)s × %(quantity)d.", item=order.item_name, quantity=order.quantity),
              "success")
    return redirect(url_for("shop.order", order_id=order.id))


@bp.route("/for/<member_id>", methods=["GET", "POST"])
def order_for(member_id):
    """Assisted mode: staff order for a resident (reserve, or hand over at the counter)."""
    require_role(Role.GRID_WORKER)
    try:
        member = access_member(g.actor, member_id)
    except NotFound:
        abort(404)
    form = AssistedOrderForm()
    status_code, problem = 200, None
    if form.validate_on_submit():
        item = queries.item_by_id(form.item.data)
        try:
            if item is None:
                raise errors.UnknownItem()
            order = actions.do_place_order(g.community, item, member, form.quantity.data, actor=g.actor.user,
                                           at_counter=form.mode.data == "counter")
        except errors.ShopError as exc:
            problem, status_code = exc.message(), exc.status
        else:
            if order.at_counter:
                flash(_("Sold and handed over: %(item)s × %(quantity)d for %(name)s.",
                        item=order.item_name, quantity=order.quantity, name=member.name), "success")
            else:
                flash(_("Reserved for %(name)s.", name=member.name), "success")
            return redirect(url_for("shop.order", order_id=order.id))
    elif form.is_submitted():
        status_code, problem = 422, _("Choose an item and a quantity from 1 to %(most)d.",
                                      most=actions.MAX_QUANTITY)
    return render_template("tenants/shop/order_for.html", member=member, balance=balance(member),
                           items=queries.items(), problem=problem,
                           status=queries.shop_status(g.community, utcnow()),
                           orders=queries.orders_of(member.id, limit=5)), status_code


@bp.route("/stock", methods=["GET"])
def stock():
    require_role(Role.GRID_WORKER)
    return render_template("tenants/shop/stock.html", items=queries.items(active_only=False),
                           low=queries.low_stock(), form=RestockForm(), year=_local_year())


@bp.post("/stock/<item_id>")
def restock(item_id):
    require_role(Role.GRID_WORKER)
    item = _item_or_404(item_id, staff_view=True)
    form = RestockForm()
    if not form.validate_on_submit():
        errors_text = "; ".join(str(e) for e in form.delta.errors) or _("Enter a whole number.")
        flash(f"{item.name}: {errors_text}", "error")
        return redirect(url_for("shop.stock"))
    try:
        left = actions.do_restock(item, form.delta.data, actor=g.actor.user)
    except errors.ShopError:
        flash(_("%(item)s: the stock cannot go below zero.", item=item.name), "error")
    else:
        flash(_("%(item)s: stock is now %(stock)d.", item=item.name, stock=left), "success")
    return redirect(url_for("shop.stock"))


def _local_year() -> int:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(g.community.timezone)).year


@bp.get("/sales.xlsx")
def sales_export():
    require_role(Role.GRID_WORKER)
    from tenants.shop.sales import sales_workbook

    year = request.args.get("year", type=int) or _local_year()
    if not 2000 <= year <= 2100:
        abort(404)
    data = sales_workbook(g.community, year)
    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="shop-sales-{g.community.slug}-{year}.xlsx"'
    return response


# --- admin: shelf, windows, settings -------------------------------------------------------


@bp.get("/manage")
def manage():
    require_role(Role.ADMIN)
    settings = queries.shop_settings(g.community)
    return render_template(
        "tenants/shop/manage.html", items=queries.items(active_only=False), windows=queries.windows(),
        weekly=WeeklyWindowForm(formdata=None), dated=DatedWindowForm(formdata=None),
        settings_form=SettingsForm(formdata=None, data=settings),
        status=queries.shop_status(g.community, utcnow()),
    )


def _save_photo(item, form) -> str | None:
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(actions_photo_limit() + 1)
    try:
        actions.do_set_photo(item, data, actor=g.actor.user)
    except errors.InvalidPhoto as exc:
        return exc.message()
    return None


def actions_photo_limit() -> int:
    from tenants.shop.photos import MAX_BYTES

    return MAX_BYTES


@bp.route("/manage/items/new", methods=["GET", "POST"])
def new_item():
    require_role(Role.ADMIN)
    form = ItemForm()
    status_code = 200
    if form.validate_on_submit():
        photo_problem = _check_photo(form)
        if photo_problem is None:
            item = actions.do_create_item(
                g.community, name=form.name.data, category=form.category.data or "", points=form.points.data,
                stock=form.stock.data, per_member_limit=form.per_member_limit.data,
                low_stock_at=form.low_stock_at.data, active=form.active.data, actor=g.actor.user)
            _save_photo(item, form)
            flash(_("%(item)s is on the shelf.", item=item.name), "success")
            return redirect(url_for("shop.manage"))
        form.photo.errors.append(photo_problem)
        status_code = 422
    elif form.is_submitted():
        status_code = 422
    return render_template("tenants/shop/item_form.html", form=form, item=None), status_code


def _check_photo(form) -> str | None:
    """Decode the upload before anything is written, so a bad photo leaves no half item."""
    from tenants.shop.photos import reencode

    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(actions_photo_limit() + 1)
    upload.seek(0)
    try:
        reencode(data)
    except errors.InvalidPhoto as exc:
        return exc.message()
    return None


@bp.route("/manage/items/<item_id>", methods=["GET", "POST"])
def edit_item(item_id):
    require_role(Role.ADMIN)
    item = _item_or_404(item_id, staff_view=True)
    form = ItemForm(obj=item)
    del form.stock  # stock changes only through restocking, which is audited as such
    status_code = 200
    if form.validate_on_submit():
        photo_problem = _check_photo(form)
        if photo_problem is None:
            actions.do_update_item(
                item, actor=g.actor.user, name=form.name.data, category=form.category.data or "",
                points=form.points.data, per_member_limit=form.per_member_limit.data,
                low_stock_at=form.low_stock_at.data, active=form.active.data)
            _save_photo(item, form)
            flash(_("%(item)s saved.", item=item.name), "success")
            return redirect(url_for("shop.manage"))
        form.photo.errors.append(photo_problem)
        status_code = 422
    elif form.is_submitted():
        status_code = 422
    return render_template("tenants/shop/item_form.html", form=form, item=item), status_code


@bp.post("/manage/items/<item_id>/photo/delete")
def delete_photo(item_id):
    require_role(Role.ADMIN)
    item = _item_or_404(item_id, staff_view=True)
    actions.do_remove_photo(item, actor=g.actor.user)
    flash(_("Photo removed."), "success")
    return redirect(url_for("shop.edit_item", item_id=item.id))


def _manage_again(status_code, **forms):
    settings = queries.shop_settings(g.community)
    context = {
        "weekly": WeeklyWindowForm(formdata=None), "dated": DatedWindowForm(formdata=None),
        "settings_form": SettingsForm(formdata=None, data=settings), **forms,
    }
    return render_template("tenants/shop/manage.html", items=queries.items(active_only=False),
                           windows=queries.windows(), status=queries.shop_status(g.community, utcnow()),
                           **context), status_code


@bp.post("/manage/windows/weekly")
def add_weekly():
    require_role(Role.ADMIN)
    form = WeeklyWindowForm()
    if not form.validate_on_submit():
        return _manage_again(422, weekly=form)
    actions.do_add_weekly_window(g.community, weekday=form.weekday.data, opens=form.opens.data,
                                 closes=form.closes.data, actor=g.actor.user)
    flash(_("Window added."), "success")
    return redirect(url_for("shop.manage"))


@bp.post("/manage/windows/dated")
def add_dated():
    require_role(Role.ADMIN)
    form = DatedWindowForm()
    if form.validate_on_submit():
        starts = actions.local_instant(g.community, form.start_day.data, form.start_time.data)
        ends = actions.local_instant(g.community, form.end_day.data, form.end_time.data)
        if ends > starts:
            actions.do_add_dated_window(g.community, starts_at=starts, ends_at=ends, actor=g.actor.user)
            flash(_("Window added."), "success")
            return redirect(url_for("shop.manage"))
        form.end_day.errors.append(_("The window must end after it starts."))
    return _manage_again(422, dated=form)


@bp.post("/manage/windows/<window_id>/delete")
def delete_window(window_id):
    require_role(Role.ADMIN)
    from sqlalchemy import select

    from core.extensions import db
    from core.ids import parse_id

    window_id = parse_id(window_id)
    window = window_id and db.session.scalar(select(ShopWindow).where(ShopWindow.id == window_id))
    if window is None:
        abort(404)
    actions.do_remove_window(window, actor=g.actor.user)
    flash(_("Window removed."), "success")
    return redirect(url_for("shop.manage"))


@bp.post("/manage/settings")
def save_settings():
    require_role(Role.ADMIN)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _manage_again(422, settings_form=form)
    actions.do_set_shop_settings(g.community, actor=g.actor.user, expiry_days=form.expiry_days.data,
                                 remind_hours=form.remind_hours.data)
    flash(_("Settings saved."), "success")
    return redirect(url_for("shop.manage"))


@bp.context_processor
def _weekday_names():
    from tenants.shop.forms import WEEKDAYS

    return {"weekday_names": [str(c.label if hasattr(c, "label") else c[1]) for c in WEEKDAYS]}


@bp.app_template_global("local_date")
def _local_date(value: datetime, fmt="long"):
    from flask_babel import format_date, to_user_timezone

    return format_date(to_user_timezone(value).date(), fmt) if value else ""


@bp.app_template_global("local_dt")
def _local_dt(value: datetime, fmt="short"):
    from flask_babel import format_datetime

    return format_datetime(value, fmt) if value else ""

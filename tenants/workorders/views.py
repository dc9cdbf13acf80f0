"""Work order pages. Residents (phone first): report something, their orders, confirm and
rate. Staff: the queue, accept, dispatch, reject, record the work, report for a resident.
Admins: categories and the satisfaction figures."""

from datetime import UTC, datetime, timedelta

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from core.web.community import community_blueprint, require_role
from tenants.grid.access import access_team, member_in_community
from tenants.grid.queries import active_members, team_members, teams
from tenants.workorders import actions, flow, labels, paying, photos, queries
from tenants.workorders.access import access_category, access_order
from tenants.workorders.forms import (
    CategoryForm,
    ConfirmForm,
    DispatchForm,
    DoneForm,
    EmptyForm,
    ReasonForm,
    ReportForm,
)
from tenants.workorders.models import OrderKind, OrderStatus

bp = community_blueprint("workorders", __name__, "/workorders")


@bp.context_processor
def _labels():
    return {"kind_label": labels.kind_label, "urgency_label": labels.urgency_label,
            "status_label": labels.status_label, "status_words": labels.status_words,
            "step_label": labels.step_label, "OrderStatus": OrderStatus}


def _order(order_id):
    try:
        return access_order(g.actor, order_id)
    except NotFound:
        abort(404)


def _photo(field):
    """Save an uploaded photo; (name, None), or (None, error message)."""
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        return None, None
    try:
        return photos.save_upload(g.community.id, upload), None
    except photos.PhotoError as exc:
        return None, photos.message(exc)


# --- lists ---------------------------------------------------------------------------------------


@bp.get("/")
def index():
    member = g.actor.member
    staff = g.actor.is_staff
    queue = queries.staff_queue(member, mine_only=request.args.get("mine") == "1") if staff else []
    mine = queries.resident_orders(member) if member else []
    names = queries.member_names({o.assignee_id for o in queue})
    return render_template("tenants/workorders/index.html", queue=queue, mine=mine, staff=staff, names=names,
                           mine_only=request.args.get("mine") == "1", admin=g.actor.can(Role.ADMIN))


# --- reporting -------------------------------------------------------------------------------------


def _report_form():
    form = ReportForm()
    form.category.choices = [(str(c.id), f"{labels.kind_label(c.kind)}: {c.name}") for c in queries.categories()]
    if g.actor.is_staff:
        form.reporter.choices = [("", _("Myself"))] + [(str(m.id), f"{m.name} (#{m.number})") for m in active_members()]
    else:
        form.reporter.choices = [("", "")]
    return form


@bp.route("/new", methods=["GET", "POST"])
def report():
    if g.actor.member is None:
        abort(404)
    form = _report_form()
    if request.method == "GET" and g.actor.is_staff and request.args.get("reporter"):
        form.reporter.data = request.args["reporter"]  # from assisted mode: the resident found
    status, error = 200, None
    if form.validate_on_submit():
        reporter = g.actor.member
        if form.reporter.data and g.actor.is_staff:
            try:
                reporter = member_in_community(g.actor, form.reporter.data)
            except NotFound:
                abort(404)
        try:
            category = access_category(g.actor, form.category.data)
        except NotFound:
            abort(404)
        photo, photo_error = _photo(form.photo)
        if photo_error:
            form.photo.errors = [photo_error]
            status = 422
        else:
            try:
                order = actions.do_report(g.actor, reporter=reporter, category=category, text=form.text.data,
                                          place=form.place.data or "", urgency=form.urgency.data, photo=photo)
            except ActionError as exc:
                error, status = exc.message, exc.status
            else:
                flash(_("Thank you. Your report is number %(number)d.", number=order.number), "success")
                return redirect(url_for("workorders.detail", order_id=order.id))
    elif form.is_submitted():
        status = 422
    return render_template("tenants/workorders/new.html", form=form, error=error,
                           staff=g.actor.is_staff), status


# --- one order ---------------------------------------------------------------------------------------


def _detail(order, *, dispatch=None, reason=None, done=None, confirm=None, error=None, status=200):
    staff = g.actor.is_staff
    dispatch = dispatch or DispatchForm()
    dispatch.member.choices = [("", _("Choose a person"))] + [(str(m.id), f"{m.name} (#{m.number})")
                                                              for m in active_members()]
    dispatch.team.choices = [("", _("Choose a team"))] + [(str(t.id), t.name) for t in teams()]
    done = done or DoneForm()
    helpers = team_members(order.team_id) if order.team_id else active_members()
    done.helpers.choices = [(str(m.id), m.name) for m in helpers if not g.actor.member or m.id != g.actor.member.id]
    category = order.category
    handler_rule = paying.rule(category.rule_id)
    names = queries.member_names({order.assignee_id, order.done_by_id, order.reporter_id})
    steps = flow.next_steps(order.status)
    return render_template(
        "tenants/workorders/detail.html", order=order, category=category, timeline=queries.timeline(order),
        handlers=queries.handlers(order), names=names, team=order.team_id and access_team(g.actor, order.team_id, staff_only=False),
        staff=staff, steps=steps, can_handle=actions.may_handle(g.actor, order) and "done" in steps,
        can_confirm=actions.may_confirm(g.actor, order) and order.status == OrderStatus.DONE,
        can_cancel="cancel" in steps and (staff or (g.actor.member and g.actor.member.id == order.reporter_id)),
        per_hour=bool(handler_rule and paying.is_per_hour(handler_rule)),
        dispatch_form=dispatch, reason_form=reason or ReasonForm(), done_form=done,
        confirm_form=confirm or ConfirmForm(), empty=EmptyForm(), error=error,
    ), status


@bp.get("/<order_id>")
def detail(order_id):
    return _detail(_order(order_id))


def _step(order, action, *args, message, **kwargs):
    try:
        action(g.actor, order, *args, **kwargs)
    except ActionError as exc:
        return _detail(order, error=exc.message, status=exc.status)
    flash(message, "success")
    return redirect(url_for("workorders.detail", order_id=order.id))


@bp.post("/<order_id>/accept")
def accept(order_id):
    require_role(Role.GRID_WORKER)
    order = _order(order_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _step(order, actions.do_accept, message=_("Accepted: the order is yours."))


@bp.post("/<order_id>/dispatch")
def dispatch(order_id):
    require_role(Role.GRID_WORKER)
    order = _order(order_id)
    form = DispatchForm()
    form.member.choices = [("", "")] + [(str(m.id), "") for m in active_members()]
    form.team.choices = [("", "")] + [(str(t.id), "") for t in teams()]
    if not form.validate_on_submit():
        return _detail(order, dispatch=form, status=422)
    try:
        member = member_in_community(g.actor, form.member.data) if form.member.data else None
        team = access_team(g.actor, form.team.data) if form.team.data else None
    except NotFound:
        abort(404)
    return _step(order, actions.do_dispatch, member=member, team=team, note=form.note.data or "",
                 message=_("Dispatched."))


@bp.post("/<order_id>/reject")
def reject(order_id):
    require_role(Role.GRID_WORKER)
    order = _order(order_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _detail(order, reason=form, status=422)
    return _step(order, actions.do_reject, form.reason.data, message=_("Rejected."))


@bp.post("/<order_id>/cancel")
def cancel(order_id):
    order = _order(order_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _step(order, actions.do_cancel, message=_("Your report is withdrawn."))


@bp.post("/<order_id>/done")
def done(order_id):
    order = _order(order_id)
    form = DoneForm()
    helpers = team_members(order.team_id) if order.team_id else active_members()
    form.helpers.choices = [(str(m.id), m.name) for m in helpers]
    if not form.validate_on_submit():
        return _detail(order, done=form, status=422)
    try:
        chosen = [member_in_community(g.actor, h) for h in form.helpers.data or []]
    except NotFound:
        abort(404)
    if not actions.may_handle(g.actor, order):
        abort(403)
    photo, photo_error = _photo(form.photo)
    if photo_error:
        form.photo.errors = [photo_error]
        return _detail(order, done=form, status=422)
    return _step(order, actions.do_done, note=form.note.data, photo=photo, helpers=chosen,
                 hours=form.hours.data, message=_("Recorded. The resident is asked to confirm."))


@bp.post("/<order_id>/confirm")
def confirm(order_id):
    order = _order(order_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _detail(order, confirm=form, status=422)
    return _step(order, actions.do_confirm, rating=int(form.rating.data), comment=form.comment.data or "",
                 message=_("Thank you for your rating."))


@bp.get("/<order_id>/photo/<which>")
def photo(order_id, which):
    order = _order(order_id)
    name = {"report": order.photo, "done": order.done_photo}.get(which)
    path = name and photos.path_of(order.community_id, name)
    if not path:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- admin: categories and figures ----------------------------------------------------------------------


def _category_form(form=None):
    form = form or CategoryForm()
    rules = paying.rules_for_categories(g.community.id)
    form.rule.choices = [("", _("None"))] + [(r.code, f"{r.name} ({r.points})") for r in rules]
    form.reporter_rule.choices = list(form.rule.choices)
    return form


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    require_role(Role.ADMIN)
    form = _category_form()
    status, error = 200, None
    if form.validate_on_submit():
        rule = paying.rule_by_code(g.community.id, form.rule.data) if form.rule.data else None
        reporter_rule = paying.rule_by_code(g.community.id, form.reporter_rule.data) if form.reporter_rule.data else None
        try:
            category = actions.do_create_category(g.actor, name=form.name.data, kind=OrderKind(form.kind.data),
                                                  rule=rule, reporter_rule=reporter_rule,
                                                  bonus_points=form.bonus_points.data)
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Category %(name)s created.", name=category.name), "success")
            return redirect(url_for("workorders.categories"))
    elif form.is_submitted():
        status = 422
    rules = {r.id: r for r in paying.rules_for_categories(g.community.id)}
    return render_template("tenants/workorders/categories.html", form=form, error=error, rules=rules,
                           categories=queries.categories(active_only=False)), status


@bp.get("/figures")
def figures():
    require_role(Role.GRID_WORKER)
    end = datetime.now(UTC)
    rows = queries.satisfaction_by_grid_month([g.community.id], end - timedelta(days=366), end + timedelta(days=1))
    return render_template("tenants/workorders/figures.html", rows=rows)

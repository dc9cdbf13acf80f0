"""Work orders over JSON, under /api/v1/c/<community>/workorders. Photos go up as
multipart/form-data to ``.../photos/<report|done>`` after the step they belong to."""

from datetime import UTC, datetime

from flask import g, request, send_file, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api.framework import ApiError, community_api_blueprint, not_found, require_role
from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from tenants.grid.access import access_team, member_in_community
from tenants.workorders import actions, paying, photos, queries
from tenants.workorders.access import access_category, access_order
from tenants.workorders.models import OrderKind, Urgency

blp = community_api_blueprint("api_workorders", __name__, "/workorders", description="Work orders")


def _order(order_id):
    try:
        return access_order(g.actor, order_id)
    except NotFound as exc:
        raise not_found() from exc


def _unknown(field):
    return ApiError(422, "invalid", _("Some fields are not valid."), errors={field: [_("Unknown in this community.")]})


def _body_member(member_id, field="member"):
    try:
        return member_in_community(g.actor, member_id)
    except NotFound as exc:
        raise _unknown(field) from exc


def _run(action, *args, **kwargs):
    try:
        return action(g.actor, *args, **kwargs)
    except ActionError as exc:
        raise exc.to_api() from exc


class WorkOrderReportIn(Schema):
    category = fields.UUID(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    place = fields.String(load_default="", validate=validate.Length(max=200))
    urgency = fields.String(load_default="normal", validate=validate.OneOf([u.value for u in Urgency]))
    reporter = fields.UUID(load_default=None, allow_none=True,
                           metadata={"description": "staff reporting on a resident's behalf"})


class WorkOrderEventOut(Schema):
    at = fields.DateTime(attribute="event.created_at")
    step = fields.String(attribute="event.step")
    who = fields.String(allow_none=True)
    note = fields.String(attribute="event.note", allow_none=True)


class WorkOrderOut(Schema):
    id = fields.UUID()
    number = fields.Integer()
    kind = fields.Function(lambda o: o.kind.value)
    category = fields.UUID(attribute="category_id")
    text = fields.String()
    place = fields.String()
    urgency = fields.Function(lambda o: o.urgency.value)
    status = fields.Function(lambda o: o.status.value)
    reporter = fields.UUID(attribute="reporter_id")
    grid = fields.UUID(attribute="grid_id", allow_none=True)
    assignee = fields.UUID(attribute="assignee_id", allow_none=True)
    team = fields.UUID(attribute="team_id", allow_none=True)
    deadline_at = fields.DateTime()
    escalated_at = fields.DateTime(allow_none=True)
    done_note = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


def _photo_urls(order) -> dict:
    def url(which, name):
        return (url_for("api_workorders.Photo", community=g.community.slug, order_id=order.id, which=which)
                if name else None)
    return {"report": url("report", order.photo), "done": url("done", order.done_photo)}


class WorkOrderDetailOut(WorkOrderOut):
    photos = fields.Function(_photo_urls, metadata={"description": "where each photo is read, or null"})
    timeline = fields.Function(lambda o: WorkOrderEventOut(many=True).dump(queries.timeline(o)))
    handlers = fields.Function(lambda o: [{"member": str(h.member_id), "points": h.points}
                                          for h in queries.handlers(o)])


class WorkOrderList(Schema):
    items = fields.List(fields.Nested(WorkOrderOut))
    next_cursor = fields.String(allow_none=True)


class WorkOrderDispatchIn(Schema):
    member = fields.UUID(load_default=None, allow_none=True)
    team = fields.UUID(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def _one(self, data, **kwargs):
        if (data["member"] is None) == (data["team"] is None):
            raise ValidationError(_("Give either member or team."), "member")


class WorkOrderReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class WorkOrderEmptyIn(Schema):
    pass


class WorkOrderDoneIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    helpers = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    hours = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=1, max=24))


class WorkOrderConfirmIn(Schema):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class WorkOrderCategoryIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in OrderKind]))
    rule = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    reporter_rule = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    bonus_points = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=1000))


class WorkOrderCategoryOut(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.Function(lambda c: c.kind.value)
    rule = fields.Function(lambda c: (paying.rule(c.rule_id).code if c.rule_id else None))
    reporter_rule = fields.Function(lambda c: (paying.rule(c.reporter_rule_id).code if c.reporter_rule_id else None))
    bonus_points = fields.Integer()


class WorkOrderCategoryList(Schema):
    items = fields.List(fields.Nested(WorkOrderCategoryOut))
    next_cursor = fields.String(allow_none=True)


class WorkOrderFigureOut(Schema):
    community = fields.Function(lambda r: g.community.slug)
    grid_id = fields.UUID(allow_none=True)
    grid = fields.String(allow_none=True)
    month = fields.String()
    closed = fields.Integer()
    rated = fields.Integer()
    average_rating = fields.Float(allow_none=True)
    satisfied_percent = fields.Float(allow_none=True)
    average_hours_to_close = fields.Float(allow_none=True)


class WorkOrderFigureList(Schema):
    items = fields.List(fields.Nested(WorkOrderFigureOut))
    next_cursor = fields.String(allow_none=True)


@blp.route("")
class Orders(MethodView):
    @blp.response(200, WorkOrderList)
    def get(self):
        """Staff: the open queue (their grids first). Residents: what they reported or were handed."""
        if g.actor.is_staff:
            items = queries.staff_queue(g.actor.member, mine_only=request.args.get("mine") == "1")
        elif g.actor.member is not None:
            items = queries.resident_orders(g.actor.member)
        else:
            items = []
        return {"items": items, "next_cursor": None}

    @blp.arguments(WorkOrderReportIn)
    @blp.response(201, WorkOrderDetailOut)
    def post(self, body):
        """Report a need, a micro-wish or a hazard; staff may give ``reporter`` (on a resident's behalf)."""
        if g.actor.member is None:
            raise not_found()
        reporter = g.actor.member
        if body["reporter"] is not None and body["reporter"] != reporter.id:
            require_role(Role.GRID_WORKER)
            reporter = _body_member(body["reporter"], "reporter")
        try:
            category = access_category(g.actor, body["category"])
        except NotFound as exc:
            raise _unknown("category") from exc
        return _run(actions.do_report, reporter=reporter, category=category, text=body["text"],
                    place=body["place"], urgency=Urgency(body["urgency"]))


@blp.route("/<order_id>")
class OrderDetail(MethodView):
    @blp.response(200, WorkOrderDetailOut)
    def get(self, order_id):
        """One order with its timeline."""
        return _order(order_id)


@blp.route("/<order_id>/accept")
class Accept(MethodView):
    @blp.arguments(WorkOrderEmptyIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, _body, order_id):
        """Take the order (staff); a hazard accepted is a hazard confirmed."""
        require_role(Role.GRID_WORKER)
        return _run(actions.do_accept, _order(order_id))


@blp.route("/<order_id>/dispatch")
class Dispatch(MethodView):
    @blp.arguments(WorkOrderDispatchIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, body, order_id):
        """Hand the order to a person or a team (staff)."""
        require_role(Role.GRID_WORKER)
        order = _order(order_id)
        member = _body_member(body["member"]) if body["member"] else None
        team = None
        if body["team"]:
            try:
                team = access_team(g.actor, body["team"])
            except NotFound as exc:
                raise _unknown("team") from exc
        return _run(actions.do_dispatch, order, member=member, team=team, note=body["note"])


@blp.route("/<order_id>/reject")
class Reject(MethodView):
    @blp.arguments(WorkOrderReasonIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, body, order_id):
        """Close an order that is not a real request, with the reason (staff)."""
        require_role(Role.GRID_WORKER)
        return _run(actions.do_reject, _order(order_id), body["reason"])


@blp.route("/<order_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(WorkOrderEmptyIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, _body, order_id):
        """Withdraw an order nobody has taken yet (its reporter, or staff)."""
        return _run(actions.do_cancel, _order(order_id))


@blp.route("/<order_id>/done")
class Done(MethodView):
    @blp.arguments(WorkOrderDoneIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, body, order_id):
        """Record what was done (the handler, a member of the team, or staff)."""
        order = _order(order_id)
        helpers = [_body_member(h, "helpers") for h in body["helpers"]]
        return _run(actions.do_done, order, note=body["note"], helpers=helpers, hours=body["hours"])


@blp.route("/<order_id>/confirm")
class Confirm(MethodView):
    @blp.arguments(WorkOrderConfirmIn)
    @blp.response(200, WorkOrderDetailOut)
    def post(self, body, order_id):
        """Confirm and rate 1 to 5 (the reporter); the handlers are paid."""
        return _run(actions.do_confirm, _order(order_id), rating=body["rating"], comment=body["comment"])


class WorkOrderPhotoIn(Schema):
    photo = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.route("/<order_id>/photos/<which>")
class Photo(MethodView):
    @blp.response(200, content_type="image/jpeg")
    def get(self, order_id, which):
        """The photo of the report or of the work done (JPEG, metadata removed)."""
        order = _order(order_id)
        name = {"report": order.photo, "done": order.done_photo}.get(which)
        path = name and photos.path_of(order.community_id, name)
        if not path:
            raise not_found()
        response = send_file(path, mimetype="image/jpeg", max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @blp.arguments(WorkOrderPhotoIn, location="files")
    @blp.response(200, WorkOrderDetailOut)
    def put(self, body, order_id, which):
        """Send the photo of the report (its reporter, or staff, until the work is done) or
        of the work done (whoever did it, or staff, until the resident confirms): JPEG, PNG
        or WebP up to 5 MB, kept as a JPEG without its metadata. A second one replaces it."""
        order = _order(order_id)
        if which not in actions.PHOTO_OPEN:
            raise not_found()
        if not actions.may_attach_photo(g.actor, order, which):
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        try:
            name = photos.save_upload(order.community_id, body["photo"])
        except photos.PhotoError as exc:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"photo": [photos.message(exc)]}) from exc
        try:
            return _run(actions.do_attach_photo, order, which, name)
        except ApiError:
            photos.discard(order.community_id, name)
            raise


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, WorkOrderCategoryList)
    def get(self):
        """The community's categories."""
        return {"items": queries.categories(), "next_cursor": None}

    @blp.arguments(WorkOrderCategoryIn)
    @blp.response(201, WorkOrderCategoryOut)
    def post(self, body):
        """Create a category with the rules that pay for it (community admin)."""
        require_role(Role.ADMIN)
        found = {}
        for field in ("rule", "reporter_rule"):
            if body[field]:
                found[field] = paying.rule_by_code(g.community.id, body[field])
                if found[field] is None:
                    raise ApiError(422, "unknown_rule", _("There is no such rule in this community."),
                                   errors={field: [_("There is no such rule in this community.")]})
        return _run(actions.do_create_category, name=body["name"], kind=OrderKind(body["kind"]),
                    rule=found.get("rule"), reporter_rule=found.get("reporter_rule"),
                    bonus_points=body["bonus_points"])


def _month(value, field):
    try:
        return datetime.strptime(value, "%Y-%m").replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        raise ApiError(422, "invalid", _("Some fields are not valid."), errors={field: [_("Use YYYY-MM.")]}) from exc


@blp.route("/figures")
class Figures(MethodView):
    @blp.response(200, WorkOrderFigureList)
    def get(self):
        """Satisfaction and time to close per grid and month (staff). ``?from=YYYY-MM&to=YYYY-MM``."""
        require_role(Role.GRID_WORKER)
        start = _month(request.args.get("from"), "from")
        end = _month(request.args.get("to"), "to")
        end = end.replace(year=end.year + end.month // 12, month=end.month % 12 + 1)
        rows = queries.satisfaction_by_grid_month([g.community.id], start, end)
        return {"items": rows, "next_cursor": None}

"""Activities over JSON, under /api/v1/c/<community>/activities."""

from flask import g, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api.framework import (
    ApiError,
    community_api_blueprint,
    idempotent,
    not_found,
    require_role,
)
from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from tenants.activities import actions, codes, lookup, paying, queries
from tenants.activities.access import access_activity
from tenants.activities.models import DEFAULT_MIN_SHARE
from tenants.grid.access import access_team, member_in_community

blp = community_api_blueprint("api_activities", __name__, "/activities", description="Volunteer activities")


def _activity(activity_id):
    try:
        return access_activity(g.actor, activity_id)
    except NotFound as exc:
        raise not_found() from exc


def _body_member(member_id):
    """The member named in a body (staff acting for someone), else the caller."""
    if member_id is None:
        if g.actor.member is None:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"member": [_("Say which member.")]})
        return g.actor.member
    if g.actor.member is None or member_id != g.actor.member.id:
        require_role(Role.GRID_WORKER)
    try:
        return member_in_community(g.actor, member_id)
    except NotFound as exc:
        raise ApiError(422, "invalid", _("Some fields are not valid."),
                       errors={"member": [_("Unknown in this community.")]}) from exc


def _run(action, *args, **kwargs):
    try:
        return action(g.actor, *args, **kwargs)
    except ActionError as exc:
        raise exc.to_api() from exc


class ActivityIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    signup_deadline = fields.AwareDateTime(load_default=None)
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=100000))
    rule = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "the code of the rule that pays for it"})
    team = fields.UUID(load_default=None, allow_none=True)
    min_share = fields.Integer(strict=True, load_default=DEFAULT_MIN_SHARE, validate=validate.Range(min=1, max=100))
    status = fields.String(load_default="published", validate=validate.OneOf(["draft", "published"]))

    @validates_schema
    def _times(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_("The end must be after the start."), "ends_at")


class ActivityOut(Schema):
    id = fields.UUID()
    title = fields.String()
    description = fields.String()
    place = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    signup_deadline = fields.DateTime()
    capacity = fields.Integer()
    rule = fields.Function(lambda a: paying.rule_of(a).code)
    team = fields.UUID(attribute="team_id", allow_none=True)
    min_share = fields.Integer()
    status = fields.Function(lambda a: a.status.value)
    places_taken = fields.Function(lambda a: queries.counts([a.id])[a.id][0])
    waiting = fields.Function(lambda a: queries.counts([a.id])[a.id][1])
    attendees_paid = fields.Integer(allow_none=True)
    points_paid = fields.Integer(allow_none=True)


class ActivityList(Schema):
    items = fields.List(fields.Nested(ActivityOut))
    next_cursor = fields.String(allow_none=True)


class ActivitySignupOut(Schema):
    member = fields.UUID(attribute="member_id")
    status = fields.Function(lambda s: s.status.value)
    checked_in_at = fields.DateTime(allow_none=True)
    checked_out_at = fields.DateTime(allow_none=True)
    auto_checked_out = fields.Boolean()
    makeup_minutes = fields.Integer()
    points = fields.Integer(allow_none=True)


class ActivityAttendeeOut(ActivitySignupOut):
    name = fields.Function(lambda s: s.member.name)


class ActivityAttendeeList(Schema):
    items = fields.List(fields.Nested(ActivityAttendeeOut))
    next_cursor = fields.String(allow_none=True)


class ActivitySignupIn(Schema):
    member = fields.UUID(load_default=None, allow_none=True)


class ActivityDoorIn(Schema):
    member = fields.UUID(load_default=None, allow_none=True)
    query = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80),
                          metadata={"description": "a card code, member number, phone or name; must find one person"})

    @validates_schema
    def _one(self, data, **kwargs):
        if (data["member"] is None) == (data["query"] is None):
            raise ValidationError(_("Give either member or query."), "member")


class ActivityCodeIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class ActivityCodeOut(Schema):
    code = fields.String()
    seconds_left = fields.Integer()


class ActivityMakeupIn(Schema):
    member = fields.UUID(required=True)
    minutes = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1440))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


@blp.route("")
class Activities(MethodView):
    @blp.response(200, ActivityList)
    def get(self):
        """Upcoming activities, soonest first (staff also see drafts)."""
        return {"items": queries.upcoming(g.actor.is_staff), "next_cursor": None}

    @blp.arguments(ActivityIn)
    @blp.response(201, ActivityOut)
    def post(self, body):
        """Create an activity (grid worker or admin); published unless ``status`` is ``draft``.
        ``signup_deadline`` defaults to the start."""
        require_role(Role.GRID_WORKER)
        rule = paying.rule_by_code(g.actor, body["rule"])
        if rule is None:
            raise ApiError(422, "unknown_rule", _("There is no such rule in this community."),
                           errors={"rule": [_("There is no such rule in this community.")]})
        team = None
        if body["team"] is not None:
            try:
                team = access_team(g.actor, body["team"])
            except NotFound as exc:
                raise ApiError(422, "invalid", _("Some fields are not valid."),
                               errors={"team": [_("Unknown in this community.")]}) from exc
        return _run(
            actions.do_create_activity, rule=rule, team=team, publish=body["status"] == "published",
            title=body["title"], description=body["description"], place=body["place"],
            starts_at=body["starts_at"], ends_at=body["ends_at"],
            signup_deadline=body["signup_deadline"] or body["starts_at"], capacity=body["capacity"],
            min_share=body["min_share"],
        )


@blp.route("/<activity_id>")
class ActivityDetail(MethodView):
    @blp.response(200, ActivityOut)
    def get(self, activity_id):
        """One activity."""
        return _activity(activity_id)


@blp.route("/<activity_id>/signups")
class Signups(MethodView):
    @blp.response(200, ActivityAttendeeList)
    def get(self, activity_id):
        """Everyone with a place or on the waitlist (staff)."""
        require_role(Role.GRID_WORKER)
        activity = _activity(activity_id)
        rule = paying.rule_of(activity)
        rows = queries.attendees(activity, rule.points, paying.per_hour(rule))
        return {"items": [r.signup for r in rows], "next_cursor": None}

    @blp.arguments(ActivitySignupIn)
    @blp.response(201, ActivitySignupOut)
    def post(self, body, activity_id):
        """Sign up: oneself, or (staff) ``member``. Full: a place on the waitlist."""
        activity = _activity(activity_id)
        return _run(actions.do_sign_up, activity, _body_member(body["member"]))


@blp.route("/<activity_id>/signups/<member_id>")
class SignupDetail(MethodView):
    @blp.response(200, ActivitySignupOut)
    def delete(self, activity_id, member_id):
        """Cancel a sign-up (one's own, or staff for anyone); the waitlist moves up."""
        activity = _activity(activity_id)
        try:
            member = member_in_community(g.actor, member_id)
        except NotFound as exc:
            raise not_found() from exc
        if g.actor.member is None or member.id != g.actor.member.id:
            require_role(Role.GRID_WORKER)
        return _run(actions.do_cancel_signup, activity, member)


def _door_member(body):
    if body["member"] is not None:
        return _body_member(body["member"])
    try:
        found = lookup.find_members(body["query"], g.actor.user, limit=2)
    except lookup.CardThrottled as exc:
        raise ApiError(429, "too_many_requests", _("Too many codes that did not match. Wait %(seconds)d seconds.",
                                                   seconds=exc.retry_after),
                       headers={"Retry-After": str(exc.retry_after)}) from exc
    if len(found) != 1:
        raise ApiError(422, "member_not_found" if not found else "ambiguous",
                       _("Nobody found.") if not found else _("More than one person matches: use the member id."),
                       errors={"query": [_("Must match exactly one person.")]})
    return found[0]


@blp.route("/<activity_id>/checkins")
class CheckIns(MethodView):
    @blp.arguments(ActivityDoorIn)
    @blp.response(201, ActivitySignupOut)
    def post(self, body, activity_id):
        """Check a resident in at the door (staff): by member id, or a card code or search."""
        require_role(Role.GRID_WORKER)
        activity = _activity(activity_id)
        how = "card" if body["query"] and lookup.looks_like_card(body["query"]) else "staff"
        return _run(actions.do_check_in, activity, _door_member(body), how=how)


@blp.route("/<activity_id>/checkouts")
class CheckOuts(MethodView):
    @blp.arguments(ActivityDoorIn)
    @blp.response(201, ActivitySignupOut)
    def post(self, body, activity_id):
        """Check a resident out (staff)."""
        require_role(Role.GRID_WORKER)
        activity = _activity(activity_id)
        return _run(actions.do_check_out, activity, _door_member(body))


@blp.route("/<activity_id>/code")
class DoorCode(MethodView):
    @blp.response(200, ActivityCodeOut)
    def get(self, activity_id):
        """The current door code, for the staff's screen (staff only)."""
        require_role(Role.GRID_WORKER)
        code, seconds = codes.current_code(_activity(activity_id))
        return {"code": code, "seconds_left": seconds}

    @blp.arguments(ActivityCodeIn)
    @blp.response(200, ActivitySignupOut)
    def post(self, body, activity_id):
        """A resident types the door code: checks in, or out when already in."""
        return _run(actions.do_check_with_code, _activity(activity_id), body["code"])


@blp.route("/<activity_id>/makeups")
class Makeups(MethodView):
    @blp.arguments(ActivityMakeupIn)
    @blp.response(201, ActivitySignupOut)
    def post(self, body, activity_id):
        """Add make-up minutes for a volunteer, with a reason (admin)."""
        require_role(Role.ADMIN)
        activity = _activity(activity_id)
        member = _body_member(body["member"])
        return _run(actions.do_add_makeup, activity, member, body["minutes"], body["reason"])


@blp.route("/<activity_id>/close")
class Close(MethodView):
    @blp.response(200, ActivityOut)
    @idempotent
    def post(self, activity_id):
        """Close an ended activity and pay its volunteers in one batch (staff). Closing again
        is 409 ``already_closed`` and pays nobody twice; an ``Idempotency-Key`` replays the
        first answer."""
        require_role(Role.GRID_WORKER)
        if request.get_data():
            raise ApiError(422, "invalid", _("This request takes no body."), errors={"body": [_("Must be empty.")]})
        return _run(actions.do_close, _activity(activity_id))

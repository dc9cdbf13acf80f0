"""Activity pages. Residents (phone first): the list, one activity, sign up, cancel, type the
door code. Staff: create, the door screen (rolling code, card scan or search, check in and
out), the attendee sheet (make-up minutes, close and pay)."""

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from core.types import utcnow
from core.web.community import community_blueprint, require_role
from tenants.activities import actions, codes, lookup, paying, queries
from tenants.activities.access import access_activity
from tenants.activities.forms import (
    ActivityForm,
    CodeForm,
    ConfirmForm,
    MakeupForm,
    MemberActionForm,
    to_local,
    to_utc,
)
from tenants.activities.models import ActivityStatus, SignupStatus
from tenants.grid.access import access_team, member_in_community
from tenants.grid.queries import teams

bp = community_blueprint("activities", __name__, "/activities")


def _activity(activity_id):
    try:
        return access_activity(g.actor, activity_id)
    except NotFound:
        abort(404)


def _member_from_form(form):
    """The resident named in the form (staff acting for them), or the actor themself."""
    if form.member.data:
        require_role(Role.GRID_WORKER)
        try:
            return member_in_community(g.actor, form.member.data)
        except NotFound:
            abort(404)
    if g.actor.member is None:
        abort(403)
    return g.actor.member


def _refused(error: ActionError, target: str):
    flash(error.message, "error")
    return redirect(target), 303


# --- resident pages ------------------------------------------------------------------------------


@bp.get("/")
def index():
    staff = g.actor.is_staff
    upcoming = queries.upcoming(staff)
    ids = [a.id for a in upcoming]
    mine = queries.signups_of_member(g.actor.member.id, ids) if g.actor.member else {}
    return render_template(
        "tenants/activities/index.html", upcoming=upcoming, counts=queries.counts(ids), mine=mine,
        past=queries.recent_past() if staff else [], staff=staff,
    )


@bp.get("/<activity_id>")
def detail(activity_id):
    activity = _activity(activity_id)
    signup = queries.my_signup(activity, g.actor.member)
    taken, waiting = queries.counts([activity.id]).get(activity.id, (0, 0))
    now = utcnow()
    door_open = (activity.status == ActivityStatus.PUBLISHED
                 and activity.starts_at - actions.CHECK_IN_EARLY <= now <= activity.ends_at)
    return render_template(
        "tenants/activities/detail.html", activity=activity, signup=signup, taken=taken, waiting=waiting,
        position=queries.waitlist_position(activity, signup), rule=paying.rule_of(activity),
        rule_label=paying.rule_label, team=activity.team_id and access_team(g.actor, activity.team_id, staff_only=False),
        can_sign_up=activity.status == ActivityStatus.PUBLISHED and now < activity.signup_deadline,
        can_cancel=activity.status == ActivityStatus.PUBLISHED and now < activity.starts_at,
        door_open=door_open, code_form=CodeForm(), action_form=MemberActionForm(), staff=g.actor.is_staff,
        has_member=g.actor.member is not None,
        SignupStatus=SignupStatus, ActivityStatus=ActivityStatus,
    )


@bp.post("/<activity_id>/signup")
def sign_up(activity_id):
    activity = _activity(activity_id)
    form = MemberActionForm()
    if not form.validate_on_submit():
        abort(400)
    member = _member_from_form(form)
    try:
        signup = actions.do_sign_up(g.actor, activity, member)
    except ActionError as exc:
        return _refused(exc, url_for("activities.detail", activity_id=activity.id))
    if signup.status == SignupStatus.SIGNED_UP:
        flash(_("Signed up: %(name)s has a place.", name=member.name), "success")
    else:
        flash(_("The activity is full: %(name)s is on the waitlist.", name=member.name), "success")
    return redirect(request.form.get("next_url") if _safe(request.form.get("next_url"))
                    else url_for("activities.detail", activity_id=activity.id))


@bp.post("/<activity_id>/cancel")
def cancel_signup(activity_id):
    activity = _activity(activity_id)
    form = MemberActionForm()
    if not form.validate_on_submit():
        abort(400)
    member = _member_from_form(form)
    try:
        actions.do_cancel_signup(g.actor, activity, member)
    except ActionError as exc:
        return _refused(exc, url_for("activities.detail", activity_id=activity.id))
    flash(_("Sign-up cancelled."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.post("/<activity_id>/code")
def enter_code(activity_id):
    activity = _activity(activity_id)
    form = CodeForm()
    if not form.validate_on_submit():
        flash(_("Type the 6 digits shown at the door."), "error")
        return redirect(url_for("activities.detail", activity_id=activity.id)), 303
    try:
        signup = actions.do_check_with_code(g.actor, activity, form.code.data)
    except ActionError as exc:
        return _refused(exc, url_for("activities.detail", activity_id=activity.id))
    if signup.checked_out_at is None:
        flash(_("You are checked in. Welcome!"), "success")
    else:
        flash(_("You are checked out. Thank you!"), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


def _safe(target) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")


# --- staff: creating ---------------------------------------------------------------------------------


def _activity_form():
    form = ActivityForm()
    form.rule.choices = [(r.code, paying.rule_label(r)) for r in paying.usable_rules(g.actor)]
    form.team.choices = [("", _("Everyone"))] + [(str(t.id), t.name) for t in teams()]
    return form


@bp.route("/new", methods=["GET", "POST"])
def create():
    require_role(Role.GRID_WORKER)
    form = _activity_form()
    status, error = 200, None
    if form.validate_on_submit():
        tz = g.community.timezone
        rule = paying.rule_by_code(g.actor, form.rule.data)
        team = None
        if form.team.data:
            try:
                team = access_team(g.actor, form.team.data)
            except NotFound:
                abort(404)
        try:
            activity = actions.do_create_activity(
                g.actor, rule=rule, team=team, publish=form.publish.data,
                title=form.title.data, description=form.description.data or "", place=form.place.data,
                starts_at=to_utc(form.starts_at.data, tz), ends_at=to_utc(form.ends_at.data, tz),
                signup_deadline=to_utc(form.signup_deadline.data, tz), capacity=form.capacity.data,
                min_share=form.min_share.data,
            )
        except ActionError as exc:
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = list(field.errors) + [exc.message]
            else:
                error = exc.message
            status = exc.status
        else:
            flash(_("Activity %(title)s created.", title=activity.title), "success")
            return redirect(url_for("activities.detail", activity_id=activity.id))
    elif form.is_submitted():
        status = 422
    return render_template("tenants/activities/new.html", form=form, error=error), status


@bp.post("/<activity_id>/publish")
def publish(activity_id):
    require_role(Role.GRID_WORKER)
    activity = _activity(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        actions.do_publish(g.actor, activity)
    except ActionError as exc:
        return _refused(exc, url_for("activities.detail", activity_id=activity.id))
    flash(_("Published: residents can sign up now."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


# --- staff: the door -----------------------------------------------------------------------------------


@bp.route("/<activity_id>/door", methods=["GET", "POST"])
def door(activity_id):
    """The door screen. The search posts (a scanned card code never goes into a URL, where
    logs would keep it); a name or number may also come as ?q= after a check-in."""
    require_role(Role.GRID_WORKER)
    activity = _activity(activity_id)
    code, seconds = codes.current_code(activity)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        query = (request.form.get("q") or "").strip()[:80]
    else:
        query = (request.args.get("q") or "").strip()[:80]
        if lookup.looks_like_card(query):
            query = ""
    found, status = [], 200
    if query:
        try:
            members = lookup.find_members(query, g.actor.user)
        except lookup.CardThrottled as exc:
            flash(_("Too many codes that did not match. Wait %(seconds)d seconds.", seconds=exc.retry_after), "error")
            members, status = [], 429
        signups = {s.member_id: s for s in [queries.my_signup(activity, m) for m in members] if s}
        found = [(m, signups.get(m.id)) for m in members]
    return render_template(
        "tenants/activities/door.html", activity=activity, code=code, seconds=seconds, query=query,
        found=found, action_form=MemberActionForm(), SignupStatus=SignupStatus, search_form=ConfirmForm(),
        card=bool(query) and lookup.looks_like_card(query),
    ), status


@bp.get("/<activity_id>/door/code")
def door_code(activity_id):
    """The code for the door screen's script to refresh (staff only, never cached)."""
    require_role(Role.GRID_WORKER)
    activity = _activity(activity_id)
    code, seconds = codes.current_code(activity)
    response = jsonify({"code": code, "seconds_left": seconds})
    response.headers["Cache-Control"] = "no-store"
    return response


def _door_step(activity_id, action, done_message):
    require_role(Role.GRID_WORKER)
    activity = _activity(activity_id)
    form = MemberActionForm()
    if not form.validate_on_submit() or not form.member.data:
        abort(400)
    member = _member_from_form(form)
    back = url_for("activities.door", activity_id=activity.id, q=str(member.number))
    try:
        how = "card" if request.form.get("how") == "card" else "staff"
        action(g.actor, activity, member, how=how)
    except ActionError as exc:
        return _refused(exc, back)
    flash(done_message(member), "success")
    return redirect(back)


@bp.post("/<activity_id>/checkin")
def check_in(activity_id):
    return _door_step(activity_id, actions.do_check_in, lambda m: _("%(name)s checked in.", name=m.name))


@bp.post("/<activity_id>/checkout")
def check_out(activity_id):
    return _door_step(activity_id, actions.do_check_out, lambda m: _("%(name)s checked out.", name=m.name))


# --- staff: the sheet, make-up minutes, closing ---------------------------------------------------------


def _sheet(activity, makeup=None, status=200, error=None):
    rule = paying.rule_of(activity)
    rows = queries.attendees(activity, rule.points, paying.per_hour(rule), limit=2000)
    makeup = makeup or MakeupForm()
    makeup.member.choices = [(str(r.member.id), f"{r.member.name} (#{r.member.number})")
                             for r in rows if r.signup.status == SignupStatus.SIGNED_UP]
    return render_template(
        "tenants/activities/sheet.html", activity=activity, rows=rows, rule=rule, rule_label=paying.rule_label,
        makeup_form=makeup, confirm=ConfirmForm(), can_makeup=g.actor.can(Role.ADMIN),
        ended=utcnow() >= activity.ends_at, error=error, SignupStatus=SignupStatus, ActivityStatus=ActivityStatus,
    ), status


@bp.get("/<activity_id>/sheet")
def sheet(activity_id):
    require_role(Role.GRID_WORKER)
    return _sheet(_activity(activity_id))


@bp.post("/<activity_id>/makeup")
def add_makeup(activity_id):
    require_role(Role.ADMIN)
    activity = _activity(activity_id)
    form = MakeupForm()
    rule = paying.rule_of(activity)
    form.member.choices = [(str(r.member.id), r.member.name)
                           for r in queries.attendees(activity, rule.points, paying.per_hour(rule))]
    if not form.validate_on_submit():
        return _sheet(activity, makeup=form, status=422)
    try:
        member = member_in_community(g.actor, form.member.data)
        actions.do_add_makeup(g.actor, activity, member, form.minutes.data, form.reason.data)
    except NotFound:
        abort(404)
    except ActionError as exc:
        return _sheet(activity, makeup=form, status=exc.status, error=exc.message)
    flash(_("%(minutes)d minutes added for %(name)s.", minutes=form.minutes.data, name=member.name), "success")
    return redirect(url_for("activities.sheet", activity_id=activity.id))


@bp.post("/<activity_id>/close")
def close(activity_id):
    require_role(Role.GRID_WORKER)
    activity = _activity(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        activity = actions.do_close(g.actor, activity)
    except ActionError as exc:
        return _sheet(activity, status=exc.status, error=exc.message)
    # the sheet says how many were paid, and how much
    return redirect(url_for("activities.sheet", activity_id=activity.id))


@bp.app_template_filter("local_input")
def _local_input(value):
    return to_local(value, g.community.timezone).strftime("%Y-%m-%dT%H:%M") if value else ""

"""Every change to activities and sign-ups. Each ``do_*`` owns its transaction, checks
everything before writing and leaves an audit row; a refused step raises ``ActionError``
(409 for a step that does not fit the activity's state, 422 for bad input).

Places are counted under a lock on the activity row (``SELECT ... FOR UPDATE``; SQLite's
``BEGIN IMMEDIATE`` serialises writers), so two residents can never take the last place
both, and a cancelled place goes to the first on the waitlist in the same transaction.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core.audit.actions import record
from core.errors import ActionError, conflict, invalid
from core.extensions import db
from core.identity.models import Member, Role
from core.ids import new_id
from core.notifications.actions import notify
from core.transactions import atomic
from core.types import utcnow
from tenants.activities import codes, paying
from tenants.activities.models import (
    DEFAULT_MIN_SHARE,
    Activity,
    ActivityStatus,
    Signup,
    SignupStatus,
)
from tenants.grid.queries import is_team_member

# Residents may check in this long before the start (a queue at the door).
CHECK_IN_EARLY = timedelta(minutes=60)
MAX_MAKEUP_MINUTES = 24 * 60


def _user(actor):
    return getattr(actor, "user", None)


def _require_staff(actor) -> None:
    if actor is None or not actor.can(Role.GRID_WORKER):
        raise ActionError(403, "forbidden", _("You are not allowed to do this."))


def _lock(activity: Activity) -> Activity:
    """Re-read the activity under a row lock: every place-counting step starts here."""
    return db.session.scalar(
        select(Activity).where(Activity.id == activity.id).with_for_update()
        .execution_options(populate_existing=True)
    )


# --- creating and changing -------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime, deadline: datetime) -> None:
    if ends_at <= starts_at:
        raise invalid("invalid", _("The end must be after the start."), "ends_at")
    if ends_at - starts_at > timedelta(days=7):
        raise invalid("invalid", _("An activity lasts at most 7 days."), "ends_at")
    if deadline > starts_at:
        raise invalid("invalid", _("Sign-up must close before the activity starts."), "signup_deadline")


def _check_fields(fields: dict) -> dict:
    title = (fields.get("title") or "").strip()
    if not title or len(title) > 120:
        raise invalid("invalid", _("Give a title of 1 to 120 characters."), "title")
    place = (fields.get("place") or "").strip()
    if not place or len(place) > 200:
        raise invalid("invalid", _("Say where, in 1 to 200 characters."), "place")
    description = (fields.get("description") or "").strip()
    if len(description) > 4000:
        raise invalid("invalid", _("At most 4000 characters."), "description")
    capacity = fields.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 100_000:
        raise invalid("invalid", _("Give a number of places from 1 to 100000."), "capacity")
    min_share = fields.get("min_share", DEFAULT_MIN_SHARE)
    if isinstance(min_share, bool) or not isinstance(min_share, int) or not 1 <= min_share <= 100:
        raise invalid("invalid", _("Give a percentage from 1 to 100."), "min_share")
    _check_times(fields["starts_at"], fields["ends_at"], fields["signup_deadline"])
    return {"title": title, "place": place, "description": description, "capacity": capacity,
            "min_share": min_share, "starts_at": fields["starts_at"], "ends_at": fields["ends_at"],
            "signup_deadline": fields["signup_deadline"]}


def do_create_activity(actor, *, rule, team=None, publish: bool = True, **fields) -> Activity:
    """``rule`` pays for it (checked: active, and the actor's role may award it)."""
    _require_staff(actor)
    values = _check_fields(fields)
    paying.check_rule(actor, rule)
    if values["starts_at"] <= utcnow():
        raise invalid("invalid", _("The start must be in the future."), "starts_at")
    with atomic():
        activity = Activity(
            id=new_id(), rule_id=rule.id, team_id=team.id if team else None,
            status=ActivityStatus.PUBLISHED if publish else ActivityStatus.DRAFT,
            code_secret=codes.new_secret(), created_by_id=actor.member.id if actor.member else None,
            **values,
        )
        db.session.add(activity)
        db.session.flush()
        record("activity.created", _user(actor), activity=activity.id, title=activity.title,
               rule=rule.id, capacity=activity.capacity, status=activity.status)
    return activity


def do_publish(actor, activity: Activity) -> Activity:
    _require_staff(actor)
    with atomic():
        activity = _lock(activity)
        if activity.status != ActivityStatus.DRAFT:
            raise conflict("not_draft", _("Only a draft can be published."))
        activity.status = ActivityStatus.PUBLISHED
        record("activity.published", _user(actor), activity=activity.id)
    return activity


def do_update_activity(actor, activity: Activity, **fields) -> Activity:
    """Change the details; more places promote people from the waitlist at once."""
    _require_staff(actor)
    values = _check_fields(fields)
    with atomic():
        activity = _lock(activity)
        if activity.status in (ActivityStatus.CLOSED, ActivityStatus.CANCELLED):
            raise conflict("activity_over", _("This activity is closed or cancelled."))
        taken = _count(activity, SignupStatus.SIGNED_UP)
        if values["capacity"] < taken:
            raise conflict("capacity_below_signups",
                           _("%(num)d people already have a place: the capacity cannot be lower.", num=taken),
                           "capacity")
        for name, value in values.items():
            setattr(activity, name, value)
        db.session.flush()
        promoted = _promote(activity)
        record("activity.updated", _user(actor), activity=activity.id, promoted=len(promoted), **{
            k: v for k, v in values.items() if k in ("capacity", "starts_at", "ends_at")})
    return activity


def do_cancel_activity(actor, activity: Activity, reason: str = "") -> Activity:
    _require_staff(actor)
    with atomic():
        activity = _lock(activity)
        if activity.status in (ActivityStatus.CLOSED, ActivityStatus.CANCELLED):
            raise conflict("activity_over", _("This activity is closed or cancelled."))
        activity.status = ActivityStatus.CANCELLED
        for signup in db.session.scalars(select(Signup).where(
                Signup.activity_id == activity.id,
                Signup.status.in_([SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED]))):
            notify(signup.member, "activity.cancelled", activity=str(activity.id), title=activity.title)
        record("activity.cancelled", _user(actor), activity=activity.id, reason=(reason or "")[:300])
    return activity


# --- signing up and cancelling ----------------------------------------------------------------


def _count(activity, status) -> int:
    return db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity.id, Signup.status == status)) or 0


def signup_of(activity, member) -> Signup | None:
    return db.session.scalar(select(Signup).where(
        Signup.activity_id == activity.id, Signup.member_id == member.id))


def _may_act_for(actor, member) -> None:
    """Residents act for themselves; staff may act for any resident of the community."""
    if actor.member is not None and actor.member.id == member.id:
        return
    _require_staff(actor)


def do_sign_up(actor, activity: Activity, member: Member, now: datetime | None = None) -> Signup:
    """A place if one is free, else a place on the waitlist."""
    _may_act_for(actor, member)
    now = now or utcnow()
    with atomic():
        activity = _lock(activity)
        if activity.status != ActivityStatus.PUBLISHED:
            raise conflict("not_open", _("This activity is not open for sign-up."))
        if now >= activity.signup_deadline:
            raise conflict("signup_closed", _("Sign-up for this activity has closed."))
        if activity.team_id is not None and not is_team_member(activity.team_id, member.id):
            raise conflict("team_only", _("This activity is only for the members of its team."))
        signup = signup_of(activity, member)
        if signup is not None and signup.status != SignupStatus.CANCELLED:
            raise conflict("already_signed_up", _("You are already signed up for this activity.")
                           if signup.status == SignupStatus.SIGNED_UP
                           else _("You are already on the waitlist for this activity."))
        full = _count(activity, SignupStatus.SIGNED_UP) >= activity.capacity
        status = SignupStatus.WAITLISTED if full else SignupStatus.SIGNED_UP
        if signup is None:
            signup = Signup(id=new_id(), activity_id=activity.id, member_id=member.id)
            db.session.add(signup)
        signup.status, signup.queued_at, signup.cancelled_at = status, now, None
        signup.promoted_at = None
        signup.signed_up_by_id = actor.member.id if actor.member and actor.member.id != member.id else None
        db.session.flush()
        notify(member, "activity.waitlisted" if full else "activity.signed_up",
               activity=str(activity.id), title=activity.title, starts_at=activity.starts_at.isoformat())
        record("activity.signed_up", _user(actor), activity=activity.id, member=member.id, status=status)
    return signup


def do_cancel_signup(actor, activity: Activity, member: Member, now: datetime | None = None) -> Signup:
    """Give up a place (or a waitlist position); the first on the waitlist gets the place."""
    _may_act_for(actor, member)
    now = now or utcnow()
    with atomic():
        activity = _lock(activity)
        signup = signup_of(activity, member)
        if signup is None or signup.status == SignupStatus.CANCELLED:
            raise conflict("not_signed_up", _("You are not signed up for this activity."))
        if activity.status != ActivityStatus.PUBLISHED or now >= activity.starts_at:
            raise conflict("too_late", _("The activity has started: sign-up can no longer be cancelled."))
        if signup.checked_in_at is not None:
            raise conflict("checked_in", _("You have already checked in."))
        had_place = signup.status == SignupStatus.SIGNED_UP
        signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
        db.session.flush()
        promoted = _promote(activity, now) if had_place else []
        record("activity.signup_cancelled", _user(actor), activity=activity.id, member=member.id,
               promoted=[s.member_id for s in promoted])
    return signup


def _promote(activity: Activity, now: datetime | None = None) -> list[Signup]:
    """Fill free places from the waitlist, first come first served, and tell them."""
    free = activity.capacity - _count(activity, SignupStatus.SIGNED_UP)
    if free <= 0 or activity.status != ActivityStatus.PUBLISHED:
        return []
    waiting = list(db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id).limit(free)
    ))
    for signup in waiting:
        signup.status, signup.promoted_at = SignupStatus.SIGNED_UP, now or utcnow()
        notify(signup.member, "activity.promoted", activity=str(activity.id), title=activity.title,
               starts_at=activity.starts_at.isoformat())
    db.session.flush()
    return waiting


# --- at the door ---------------------------------------------------------------------------------


def _attending(activity, member) -> Signup:
    signup = signup_of(activity, member)
    if signup is None or signup.status != SignupStatus.SIGNED_UP:
        raise conflict("not_signed_up", _("%(name)s has no place in this activity.", name=member.name))
    return signup


def _door_open(activity, now) -> None:
    if activity.status != ActivityStatus.PUBLISHED:
        raise conflict("not_open", _("This activity is not taking place."))
    if now < activity.starts_at - CHECK_IN_EARLY:
        raise conflict("too_early", _("Check-in opens an hour before the start."))
    if now > activity.ends_at:
        raise conflict("ended", _("This activity has ended."))


def _check_in(activity, signup, now, how) -> None:
    if signup.checked_in_at is not None:
        raise conflict("already_checked_in", _("Already checked in."))
    signup.checked_in_at, signup.checked_in_how = now, how


def _check_out(activity, signup, now, how) -> None:
    if signup.checked_in_at is None:
        raise conflict("not_checked_in", _("Not checked in yet."))
    if signup.checked_out_at is not None:
        raise conflict("already_checked_out", _("Already checked out."))
    signup.checked_out_at, signup.checked_out_how = max(now, signup.checked_in_at), how


def do_check_in(actor, activity: Activity, member: Member, *, how: str = "staff",
                now: datetime | None = None) -> Signup:
    """Staff check a resident in (found by card scan or search)."""
    _require_staff(actor)
    now = now or utcnow()
    with atomic():
        activity = _lock(activity)
        _door_open(activity, now)
        signup = _attending(activity, member)
        _check_in(activity, signup, now, how)
        record("activity.checked_in", _user(actor), activity=activity.id, member=member.id, how=how)
    return signup


def do_check_out(actor, activity: Activity, member: Member, *, how: str = "staff",
                 now: datetime | None = None) -> Signup:
    _require_staff(actor)
    now = now or utcnow()
    with atomic():
        activity = _lock(activity)
        if activity.status != ActivityStatus.PUBLISHED:
            raise conflict("not_open", _("This activity is not taking place."))
        signup = _attending(activity, member)
        _check_out(activity, signup, now, how)
        record("activity.checked_out", _user(actor), activity=activity.id, member=member.id, how=how)
    return signup


def do_check_with_code(actor, activity: Activity, code: str, now: datetime | None = None) -> Signup:
    """A resident types the code shown at the door: checks in, or out if already in."""
    member = actor.member
    if member is None:
        raise ActionError(403, "forbidden", _("You are not allowed to do this."))
    now = now or utcnow()
    key = f"member:{member.id}"
    from core.throttle import Throttled

    try:
        codes.code_throttle.check(key)
    except Throttled as exc:
        raise ActionError(429, "too_many_attempts", _(
            "Too many wrong codes. Please wait %(minutes)d minutes or ask the staff at the door.",
            minutes=max(1, round(exc.retry_after / 60)))) from exc
    with atomic():
        activity = _lock(activity)
        _door_open(activity, now)
        signup = _attending(activity, member)
        if not codes.code_matches(activity, code, now):
            codes.code_throttle.failed(key)
            raise invalid("wrong_code", _("This code is not right. Type the 6 digits shown at the door now."), "code")
        if signup.checked_in_at is None:
            _check_in(activity, signup, now, "code")
            event = "activity.checked_in"
        else:
            _check_out(activity, signup, now, "code")
            event = "activity.checked_out"
        record(event, _user(actor), activity=activity.id, member=member.id, how="code")
    return signup


def do_add_makeup(actor, activity: Activity, member: Member, minutes: int, reason: str) -> Signup:
    """An admin credits extra minutes (a forgotten check-in, work after the end), with a reason."""
    if actor is None or not actor.can(Role.ADMIN):
        raise ActionError(403, "forbidden", _("You are not allowed to do this."))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MAKEUP_MINUTES:
        raise invalid("invalid", _("Give between 1 and 1440 minutes."), "minutes")
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise invalid("invalid", _("Say why, in 1 to 300 characters."), "reason")
    with atomic():
        activity = _lock(activity)
        if activity.status != ActivityStatus.PUBLISHED:
            raise conflict("not_open", _("Make-up hours can only be added before the activity is closed."))
        signup = _attending(activity, member)
        signup.makeup_minutes = (signup.makeup_minutes or 0) + minutes
        signup.makeup_reason = reason
        signup.makeup_by_id = _user(actor).id
        record("activity.makeup_added", _user(actor), activity=activity.id, member=member.id,
               minutes=minutes, reason=reason)
    return signup


# --- the end -----------------------------------------------------------------------------------------


def check_out_at_end(activity: Activity) -> int:
    """Inside a transaction: everyone still checked in is checked out at the end time and
    flagged. Returns how many."""
    result = db.session.execute(
        update(Signup)
        .where(Signup.activity_id == activity.id, Signup.status == SignupStatus.SIGNED_UP,
               Signup.checked_in_at.is_not(None), Signup.checked_out_at.is_(None))
        .values(checked_out_at=activity.ends_at, checked_out_how="auto", auto_checked_out=True)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def do_check_out_ended(activity: Activity) -> int:
    """The beat task's step for one activity that has ended."""
    with atomic():
        activity = _lock(activity)
        if activity.status != ActivityStatus.PUBLISHED or activity.ends_at > utcnow():
            return 0
        count = check_out_at_end(activity)
        if count:
            record("activity.auto_checked_out", None, activity=activity.id, count=count)
    return count


def do_close(actor, activity: Activity, now: datetime | None = None) -> Activity:
    """Pay every attendee in one batch through the ledger and close the activity.

    Idempotent: the activity row is locked, a closed one is refused (409), and every
    award carries the key ``activity:<activity id>:<member id>``, so even a close that ran
    half-way elsewhere cannot pay anyone twice."""
    _require_staff(actor)
    now = now or utcnow()
    with atomic():
        activity = _lock(activity)
        if activity.status == ActivityStatus.CLOSED:
            raise conflict("already_closed", _("This activity is already closed; its points were paid."))
        if activity.status != ActivityStatus.PUBLISHED:
            raise conflict("not_open", _("Only a published activity can be closed."))
        if now < activity.ends_at:
            raise conflict("not_ended", _("The activity has not ended yet."))
        rule = paying.rule_of(activity)
        paying.check_rule(actor, rule)
        check_out_at_end(activity)
        paid, total = paying.pay_attendees(actor, activity, rule, now)
        activity.status, activity.closed_at = ActivityStatus.CLOSED, now
        activity.closed_by_id = _user(actor).id
        activity.attendees_paid, activity.points_paid = paid, total
        record("activity.closed", _user(actor), activity=activity.id, attendees_paid=paid, points=total)
    return activity

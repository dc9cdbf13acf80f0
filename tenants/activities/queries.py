"""Reading activities: lists for residents and staff, places left, the attendee sheet."""

from dataclasses import dataclass

from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member
from core.types import utcnow
from tenants.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from tenants.activities.points import Pay, pay_for


def upcoming(staff: bool, limit: int = 100) -> list[Activity]:
    statuses = [ActivityStatus.PUBLISHED] + ([ActivityStatus.DRAFT] if staff else [])
    return list(db.session.scalars(
        select(Activity).where(Activity.status.in_(statuses), Activity.ends_at > utcnow())
        .order_by(Activity.starts_at).limit(limit)
    ))


def recent_past(limit: int = 50) -> list[Activity]:
    """Ended activities, the ones still to close first."""
    return list(db.session.scalars(
        select(Activity).where(Activity.ends_at <= utcnow(),
                               Activity.status.in_([ActivityStatus.PUBLISHED, ActivityStatus.CLOSED]))
        .order_by(Activity.status.desc(), Activity.ends_at.desc()).limit(limit)
    ))


def counts(activity_ids) -> dict:
    """{activity id: (places taken, waiting)}."""
    result = {i: [0, 0] for i in activity_ids}
    if not result:
        return {}
    rows = db.session.execute(
        select(Signup.activity_id, Signup.status, func.count())
        .where(Signup.activity_id.in_(list(result)),
               Signup.status.in_([SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED]))
        .group_by(Signup.activity_id, Signup.status)
    ).all()
    for activity_id, status, n in rows:
        result[activity_id][0 if status == SignupStatus.SIGNED_UP else 1] = n
    return {k: tuple(v) for k, v in result.items()}


def signups_of_member(member_id, activity_ids) -> dict:
    if not activity_ids:
        return {}
    return {s.activity_id: s for s in db.session.scalars(
        select(Signup).where(Signup.member_id == member_id, Signup.activity_id.in_(list(activity_ids))))}


def my_signup(activity, member) -> Signup | None:
    if member is None:
        return None
    return db.session.scalar(select(Signup).where(
        Signup.activity_id == activity.id, Signup.member_id == member.id))


def waitlist_position(activity, signup) -> int | None:
    if signup is None or signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity.id, Signup.status == SignupStatus.WAITLISTED,
        (Signup.queued_at < signup.queued_at)
        | ((Signup.queued_at == signup.queued_at) & (Signup.id < signup.id))))
    return (ahead or 0) + 1


@dataclass
class Attendee:
    signup: Signup
    member: Member
    pay: Pay


def attendees(activity, rule_points: int, per_hour: bool, limit: int | None = None) -> list[Attendee]:
    """Everyone with a place or on the waitlist, with what they would earn (or earned)."""
    query = (
        select(Signup, Member)
        .join(Member, (Member.community_id == Signup.community_id) & (Member.id == Signup.member_id))
        .where(Signup.activity_id == activity.id,
               Signup.status.in_([SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED]))
        .order_by(Signup.status, Member.name)
    )
    if limit:
        query = query.limit(limit)
    return [Attendee(s, m, pay_for(activity, s, rule_points, per_hour)) for s, m in db.session.execute(query)]

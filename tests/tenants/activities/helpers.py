"""Making activities for tests through the real actions, and moving them in time."""

from datetime import timedelta

from sqlalchemy import select, update

from core.extensions import db
from core.identity.models import Member
from core.tenancy.access import Actor
from core.types import utcnow
from tenants.activities import actions
from tenants.activities.models import Activity


def actor(world, login) -> Actor:
    member = db.session.scalar(select(Member).where(Member.id == world.member_id(login)))
    return Actor(member.user, world.community(login.split("_")[0]), member, member.role)


def member(world, login) -> Member:
    return db.session.scalar(select(Member).where(Member.id == world.member_id(login)))


def rule(world, community, code="act_hour"):
    from tests.world_community import world_rule

    return world_rule(world, community, code)


def new_activity(world, community="c1", *, capacity=5, hours=2, code="act_hour", team=None, **extra):
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    values = dict(title="Test activity", description="", place="Hall", starts_at=start,
                  ends_at=start + timedelta(hours=hours), signup_deadline=start - timedelta(hours=1),
                  capacity=capacity)
    values.update(extra)
    return actions.do_create_activity(actor(world, f"{community}_admin"), rule=rule(world, community, code),
                                      team=team, **values)


def move(activity, *, starts_in: timedelta, hours: float = 2, deadline_in: timedelta | None = None):
    """Shift an activity in time (tests only: the actions refuse a start in the past)."""
    start = utcnow().replace(microsecond=0) + starts_in
    values = {"starts_at": start, "ends_at": start + timedelta(hours=hours),
              "signup_deadline": start + (deadline_in if deadline_in is not None else -timedelta(minutes=30))}
    if values["signup_deadline"] > start:
        values["signup_deadline"] = start
    db.session.execute(update(Activity).where(Activity.id == activity.id).values(**values))
    db.session.commit()
    db.session.refresh(activity)
    return activity

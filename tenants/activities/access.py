"""Access to activities: looked up inside the actor's community; drafts are staff-only.
Missing, another community's, or not for this actor: ``NotFound`` (a 404) alike."""

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import NotFound
from tenants.activities.models import Activity, ActivityStatus


def access_activity(actor, activity_id) -> Activity:
    activity_id = parse_id(activity_id)
    activity = activity_id and db.session.scalar(
        select(Activity).where(Activity.id == activity_id, Activity.community_id == actor.community.id)
    )
    if activity is None:
        raise NotFound(activity_id)
    if activity.status == ActivityStatus.DRAFT and not actor.is_staff:
        raise NotFound(activity_id)
    return activity

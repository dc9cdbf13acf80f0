"""Beat: check out, at the end time, everyone nobody checked out (flagged for review)."""

from celery import shared_task
from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import all_communities, use_community
from core.types import utcnow


@shared_task(name="activities.check_out_ended")
def check_out_ended() -> int:
    from tenants.activities.actions import do_check_out_ended
    from tenants.activities.models import Activity, ActivityStatus, Signup, SignupStatus

    with all_communities():
        ended = db.session.execute(
            select(Activity.community_id, Activity.id).where(
                Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at <= utcnow(),
                select(Signup.id).where(
                    Signup.community_id == Activity.community_id, Signup.activity_id == Activity.id,
                    Signup.status == SignupStatus.SIGNED_UP, Signup.checked_in_at.is_not(None),
                    Signup.checked_out_at.is_(None),
                ).exists(),
            )
        ).all()
        db.session.rollback()
    total = 0
    for community_id, activity_id in ended:
        with use_community(community_id):
            activity = db.session.get(Activity, {"community_id": community_id, "id": activity_id})
            total += do_check_out_ended(activity)
    return total

"""Expiring points, daily (the beat entry is registered in ``core.ledger.setup``).

``expire_all_communities`` fans out one ``expire_points`` per community, so one community's
failure or size never holds up the others. ``expire_points`` gives every wallet its own
short transaction (the wallet is locked while its due points are summed and moved), and is
idempotent: the expiry key is per member and per day, so a re-run moves nothing more.
"""

from datetime import datetime

from celery import shared_task
from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.ledger.models import AccountKind, LedgerAccount
from core.tenancy.context import all_communities, use_community
from core.tenancy.models import Community
from core.types import utcnow

EXPIRE_ALL = "core.ledger.tasks.expire_all_communities"
EXPIRE_ONE = "core.ledger.tasks.expire_points"


@shared_task(name=EXPIRE_ONE)
def expire_points(community_id: str, now: str | None = None) -> int:
    """Expire what is due in one community; returns how many wallets lost points.
    ``now`` (ISO 8601, aware) is for re-running a missed day; it defaults to the clock."""
    return expire_community(parse_id(community_id), _moment(now))


@shared_task(name=EXPIRE_ALL, bind=True)
def expire_all_communities(self, now: str | None = None) -> int:
    """Enqueue ``expire_points`` for every community; returns how many were enqueued."""
    with all_communities():
        ids = db.session.scalars(select(Community.id).order_by(Community.id)).all()
    # End this read first: with an eager broker the subtasks run inside this call, in
    # sessions of their own, and must not sit inside a transaction this task holds open.
    db.session.commit()
    for community_id in ids:
        # through this task's own Celery app (not the process default: tests make several)
        self.app.tasks[EXPIRE_ONE].delay(str(community_id), now)
    return len(ids)


def expire_community(community_id, now: datetime | None = None) -> int:
    from core.identity.models import Member
    from core.ledger.actions import expire_due
    from core.transactions import atomic

    now = now or utcnow()
    expired = 0
    with use_community(community_id):
        community = db.session.get(Community, community_id)
        if community is None:
            return 0
        member_ids = db.session.scalars(
            select(LedgerAccount.member_id).where(
                LedgerAccount.kind == AccountKind.WALLET, LedgerAccount.balance > 0
            ).order_by(LedgerAccount.member_id)
        ).all()
        for member_id in member_ids:
            with atomic():
                member = db.session.get(Member, {"community_id": community_id, "id": member_id})
                if expire_due(community, member, now) is not None:
                    expired += 1
    return expired


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return moment

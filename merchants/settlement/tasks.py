"""Closing months on schedule.

Celery beat runs in one time zone (UTC) and communities live in many, so beat does not fire
"at 02:00 on the 1st" itself: every 15 minutes ``close_due`` looks at each community's local
clock and, from 02:00 on the 1st there, sends ``close_community`` for the month before, unless
that month is already closed. A missed tick (beat down, a deploy) is caught up by the next
one; a community is never closed twice because closing is idempotent. Tasks take ids and
strings, and retry with exponential backoff when the database is unreachable or a lock
times out.
"""

from datetime import datetime

from celery import shared_task
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from core.extensions import db
from core.ids import parse_id
from core.tenancy.models import Community
from core.types import utcnow
from merchants.settlement.models import ClosedMonth
from merchants.settlement.periods import month_of, previous_month

CLOSE_DUE = "merchants.settlement.close_due"
CLOSE_COMMUNITY = "merchants.settlement.close_community"
CLOSING_HOUR = 2  # local time on the 1st: after midnight's stragglers, before anyone works


def due_months(now: datetime) -> list[tuple]:
    """``[(community_id, month)]``: communities whose previous month should be closed now."""
    from zoneinfo import ZoneInfo

    communities = db.session.execute(select(Community.id, Community.timezone)).all()
    wanted = []
    for community_id, timezone in communities:
        local = now.astimezone(ZoneInfo(timezone))
        if local.day == 1 and local.hour < CLOSING_HOUR:
            continue  # the month before is over, but we wait for 02:00
        wanted.append((community_id, previous_month(month_of(now, timezone))))
    if not wanted:
        return []
    closed = set(db.session.execute(select(ClosedMonth.community_id, ClosedMonth.month).where(
        ClosedMonth.community_id.in_([cid for cid, _m in wanted]))).all())
    return [(cid, month) for cid, month in wanted if (cid, month) not in closed]


@shared_task(name=CLOSE_DUE, bind=True)
def close_due(self, now: str | None = None) -> int:
    """Send ``close_community`` for every community whose month is due; returns how many."""
    moment = _moment(now) or utcnow()
    due = due_months(moment)
    db.session.commit()  # end this read before the subtasks (eager in tests) open their own
    for community_id, month in due:
        self.app.tasks[CLOSE_COMMUNITY].delay(str(community_id), month)
    return len(due)


@shared_task(name=CLOSE_COMMUNITY, bind=True, autoretry_for=(DBAPIError,), retry_backoff=True,
             retry_backoff_max=600, retry_jitter=True, max_retries=8)
def close_community(self, community_id: str, month: str) -> int:
    """Close ``month`` in one community (idempotent); returns how many statements it drew."""
    from merchants.errors import MarketError
    from merchants.settlement.closing import do_close_community_month

    cid = parse_id(community_id)
    if cid is None:
        return 0
    try:
        done = do_close_community_month(cid, month)
    except MarketError as exc:
        if exc.code in ("not_found", "invalid"):
            return 0  # a deleted community or a bad month: retrying cannot help
        raise
    return 0 if done.already else done.statements


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return moment

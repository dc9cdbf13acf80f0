"""Celery tasks of the inbox and the outbox.

``deliver`` sends one outbox message; it is idempotent (a message already sent is left
alone, so a duplicate delivery of the task sends nothing twice) and retries temporary
failures with exponential backoff. ``sweep_outbox`` (beat) re-sends what a lost enqueue or a
crashed worker left pending. ``warn_expiring_points`` (beat, daily) tells members whose
points expire within 30 days, once per expiry date.
"""

from datetime import timedelta

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.notifications.delivery import DeliveryFailed, Outgoing, Undeliverable, backend
from core.notifications.models import OutboxMessage, OutboxStatus
from core.tenancy.context import all_communities, use_community
from core.types import utcnow

MAX_ATTEMPTS = 6
BASE_DELAY = 30  # seconds; then 60, 120, 240, 480


def backoff(attempts: int) -> int:
    return BASE_DELAY * 2 ** max(0, attempts - 1)


def _text(message: OutboxMessage) -> str:
    from core.identity.models import Member
    from core.notifications.actions import text_of

    member = db.session.get(Member, {"community_id": message.community_id, "id": message.member_id})
    locale = (member.user.locale if member else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return text_of(message)


@shared_task(bind=True, name="notifications.deliver", max_retries=MAX_ATTEMPTS, acks_late=True)
def deliver(self, community_id: str, message_id: str) -> str:
    community_id, message_id = parse_id(community_id), parse_id(message_id)
    with use_community(community_id):
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        )
        if message is None or message.status != OutboxStatus.PENDING:
            db.session.rollback()
            return "skipped"
        outgoing = Outgoing(message.channel.value, message.address, _text(message), message.key)
        message.attempts += 1
        try:
            backend().send(outgoing)
        except Undeliverable as exc:
            _give_up(message, exc)
            return "failed"
        except DeliveryFailed as exc:
            if message.attempts >= MAX_ATTEMPTS:
                _give_up(message, exc)
                return "failed"
            delay = backoff(message.attempts)
            message.next_attempt_at = utcnow() + timedelta(seconds=delay)
            message.last_error = str(exc)[:300]
            db.session.commit()
            if self.request.is_eager:
                # no broker (a laptop, tests): a Retry would surface in the action that
                # committed; try again at once instead, the attempts still bounded
                return self.run(str(community_id), str(message_id))
            raise self.retry(countdown=delay, exc=exc) from exc
        message.status, message.sent_at, message.last_error = OutboxStatus.SENT, utcnow(), None
        db.session.commit()
        return "sent"


def _give_up(message: OutboxMessage, exc: Exception) -> None:
    message.status, message.last_error = OutboxStatus.FAILED, str(exc)[:300]
    db.session.commit()


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox(limit: int = 500) -> int:
    """Re-enqueue pending messages whose next attempt is due (lost enqueues, dead workers)."""
    with all_communities():
        due = db.session.execute(
            select(OutboxMessage.community_id, OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at <= utcnow() - timedelta(minutes=1))
            .order_by(OutboxMessage.next_attempt_at).limit(limit)
        ).all()
        db.session.rollback()
    from core.tasks import for_app

    for community_id, message_id in due:
        for_app(deliver).delay(str(community_id), str(message_id))
    return len(due)


@shared_task(name="notifications.warn_expiring_points")
def warn_expiring_points(days: int = 30) -> int:
    """Tell every member whose points expire within ``days``, once per expiry date."""
    from core.identity.models import Member
    from core.ledger.models import AccountKind, LedgerAccount
    from core.ledger.queries import expiring_soon
    from core.notifications.actions import notify
    from core.tenancy.models import Community
    from core.transactions import atomic

    with all_communities():
        communities = [c.id for c in db.session.scalars(select(Community))
                       if ((c.settings or {}).get("points_expiry") or {}).get("policy", "never") != "never"]
        db.session.rollback()
    sent = 0
    now = utcnow()
    for community_id in communities:
        with use_community(community_id):
            members = db.session.scalars(
                select(Member).join(LedgerAccount, (LedgerAccount.community_id == Member.community_id)
                                    & (LedgerAccount.member_id == Member.id))
                .where(LedgerAccount.kind == AccountKind.WALLET, LedgerAccount.balance > 0,
                       Member.active.is_(True))
            ).all()
            for member in members:
                soon = expiring_soon(member, now, days)
                if soon is None:
                    continue
                with atomic():
                    if notify(member, "points.expiring", dedupe_key=f"expiring:{soon.on.date()}",
                              points=soon.points, on=soon.on.isoformat()):
                        sent += 1
    return sent

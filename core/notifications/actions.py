"""Writing and reading notices. ``notify`` joins the caller's transaction (the caller's
``do_*`` action or task commits); ``do_mark_read`` owns its own."""

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.notifications.models import Notification
from core.transactions import atomic
from core.types import utcnow

_renderers: dict[str, Callable[[dict], str]] = {}


def register_kind(kind: str, render: Callable[[dict], str]) -> None:
    """``render(params) -> str`` words a notice of ``kind`` in the current language."""
    _renderers[kind] = render


def text_of(notification: Notification) -> str:
    render = _renderers.get(notification.kind)
    if render is None:
        return _("You have a new message.")
    return render(notification.params or {})


def notify(member, kind: str, *, dedupe_key: str | None = None, **params) -> Notification | None:
    """Add a notice to ``member``'s inbox; with ``dedupe_key``, at most once per member.

    Returns None when a notice with that key was already there."""
    if dedupe_key is not None:
        exists = db.session.scalar(select(Notification.id).where(
            Notification.member_id == member.id, Notification.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    row = Notification(community_id=member.community_id, member_id=member.id, kind=kind,
                       params=params, dedupe_key=dedupe_key)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent run wrote the same notice first
        return None
    return row


def inbox(member, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.member_id == member.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def unread_count(member) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.member_id == member.id, Notification.read_at.is_(None))) or 0


def do_mark_read(member) -> int:
    with atomic():
        result = db.session.execute(
            update(Notification)
            .where(Notification.member_id == member.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            record("notifications.read", member.user_id, member=member.id, count=result.rowcount)
    return result.rowcount

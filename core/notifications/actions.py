"""Writing and reading notices.

``notify`` joins the caller's transaction (the caller's ``do_*`` action or task commits):
the notice appears with the change that caused it, or not at all, and its SMS or e-mail is
sent only once that transaction has committed. ``notify_many`` does the same for thousands
of members at once (closing an activity). ``do_mark_read`` owns its own transaction.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.ids import new_id
from core.notifications.models import Channel, Notification, OutboxMessage
from core.transactions import atomic
from core.types import utcnow


@dataclass
class Kind:
    render: Callable[[dict], str]
    # Channels besides the inbox this kind is also sent by, when the member has an address.
    channels: tuple[Channel, ...] = field(default_factory=tuple)


_kinds: dict[str, Kind] = {}


def register_kind(kind: str, render: Callable[[dict], str], *, channels: Iterable = ()) -> None:
    """``render(params) -> str`` words a notice of ``kind`` in the current language."""
    _kinds[kind] = Kind(render, tuple(Channel(c) for c in channels))


def text_of(notification) -> str:
    """The notice's words in the current language (``notification`` is a row or has
    ``kind`` and ``params``)."""
    kind = _kinds.get(notification.kind)
    if kind is None:
        return _("You have a new message.")
    try:
        return kind.render(notification.params or {})
    except (KeyError, ValueError, TypeError):
        # parameters written by an older version of the renderer: never break the inbox
        return _("You have a new message.")


def _address(member, channel: Channel) -> str | None:
    user = member.user
    if channel == Channel.SMS:
        return user.phone
    return getattr(user, "email", None)


def _queue(member, notification: Notification, kind: Kind) -> None:
    from core.notifications.tasks import deliver
    from core.tasks import enqueue_after_commit, for_app

    for channel in kind.channels:
        address = _address(member, channel)
        if not address:
            continue
        message = OutboxMessage(
            id=new_id(), community_id=member.community_id, member_id=member.id, channel=channel,
            key=f"{notification.id}:{channel.value}", kind=notification.kind,
            params=notification.params, address=address, next_attempt_at=utcnow(),
        )
        db.session.add(message)
        db.session.flush()
        enqueue_after_commit(for_app(deliver), str(member.community_id), str(message.id))


def notify(member, kind: str, *, dedupe_key: str | None = None, **params) -> Notification | None:
    """Add a notice to ``member``'s inbox (and its outbox, for kinds sent by SMS or e-mail).

    ``params`` must be JSON values (ids and datetimes as strings). With ``dedupe_key`` a
    member gets the notice at most once; None is returned when it was already there."""
    if dedupe_key is not None:
        exists = db.session.scalar(select(Notification.id).where(
            Notification.member_id == member.id, Notification.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    row = Notification(id=new_id(), community_id=member.community_id, member_id=member.id,
                       kind=kind, params=params, dedupe_key=dedupe_key)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent run wrote the same notice first
        return None
    registered = _kinds.get(kind)
    if registered is not None and registered.channels:
        _queue(member, row, registered)
    return row


def notify_many(community_id, kind: str, rows: Iterable[tuple], *, dedupe_prefix: str) -> int:
    """One notice per ``(member_id, params)`` in ``rows``, in a few bulk INSERTs.

    For batch actions (an activity's 10,000 attendees). Notices already there with the same
    ``dedupe_prefix`` are skipped, so a re-run adds none. Inbox only: kinds sent by SMS
    go through ``notify``."""
    rows = list(rows)
    if not rows:
        return 0
    from core.bulk import insert_rows, matching

    key = f"{dedupe_prefix}:{kind}"
    seen = set(db.session.scalars(select(Notification.member_id).where(
        matching(Notification.member_id, [member_id for member_id, _params in rows]),
        Notification.dedupe_key == key)))
    from core.ids import new_ids

    now = utcnow()
    fresh = [(member_id, params) for member_id, params in rows if member_id not in seen]
    values = [
        {"id": notice_id, "community_id": community_id, "member_id": member_id, "kind": kind,
         "params": params, "dedupe_key": key, "read_at": None, "created_at": now}
        for notice_id, (member_id, params) in zip(new_ids(len(fresh)), fresh, strict=True)
    ]
    insert_rows(Notification.__table__, values)
    return len(values)


# --- reading ---------------------------------------------------------------------------------


def inbox(member, limit: int = 50, before=None) -> list[Notification]:
    """Newest first; ``before`` is the id of the last notice of the previous page (ids are
    time-ordered)."""
    query = select(Notification).where(Notification.member_id == member.id)
    if before is not None:
        query = query.where(Notification.id < before)
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def unread_count(member) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.member_id == member.id, Notification.read_at.is_(None))) or 0


def do_mark_read(member, ids=None) -> int:
    """Mark the member's unread notices read (only ``ids`` when given). Returns how many."""
    with atomic():
        query = (
            update(Notification)
            .where(Notification.member_id == member.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if ids is not None:
            query = query.where(Notification.id.in_(list(ids)))
        result = db.session.execute(query)
        if result.rowcount:
            record("notifications.read", member.user_id, member=member.id, count=result.rowcount)
    return result.rowcount

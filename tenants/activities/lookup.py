"""Finding the resident in front of the staff at the door: a scanned or typed resident-card
code, or a search by member number, phone number or name.

Resident cards (signed codes) are built by the cards capability; until it is installed,
``card_resolver`` is None and only the search works. The cards capability (or the
composition root) calls ``set_card_resolver(fn)`` with ``fn(text) -> Member | None`` that
checks the signature and the current community.
"""

from sqlalchemy import or_, select

from core.extensions import db
from core.identity.models import Member, User

card_resolver = None


def set_card_resolver(fn) -> None:
    global card_resolver
    card_resolver = fn


def find_members(text: str, limit: int = 20) -> list[Member]:
    text = (text or "").strip()[:80]
    if not text:
        return []
    if card_resolver is not None:
        member = card_resolver(text)
        if member is not None:
            return [member]
    conditions = [Member.name.contains(text, autoescape=True)]
    digits = text.replace(" ", "").lstrip("#")
    if digits.isdigit():
        if len(digits) <= 9:
            conditions.append(Member.number == int(digits))
        conditions.append(Member.user_id.in_(select(User.id).where(User.phone == digits)))
    return list(db.session.scalars(
        select(Member).where(Member.active.is_(True), or_(*conditions)).order_by(Member.number).limit(limit)
    ))

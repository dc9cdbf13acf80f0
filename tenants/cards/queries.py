"""Finding a resident: by the code on their card, or by name, phone or member number."""

from flask import request
from sqlalchemy import or_, select

from core.extensions import db
from core.identity.models import Member, User
from core.throttle import FailureThrottle
from tenants.cards.codes import card_code, parse_code, signature_matches
from tenants.cards.models import ResidentCard

# Failed card look-ups (a mistyped or guessed code), per staff user and per address.
card_throttle = FailureThrottle("card-failures", "20/minute")


def throttle_keys(user) -> tuple[str, str]:
    return (f"user:{user.id}", f"addr:{request.remote_addr}")


def card_epoch(member) -> int:
    epoch = db.session.scalar(select(ResidentCard.epoch).where(ResidentCard.member_id == member.id))
    return epoch or 1


def current_code(member) -> str:
    return card_code(member, card_epoch(member))


def member_for_code(text) -> Member | None:
    """The active member of the current community whose *current* card this is, else None."""
    parsed = parse_code(text)
    if parsed is None:
        return None
    number, signature = parsed
    member = db.session.scalar(select(Member).where(Member.number == number, Member.active.is_(True)))
    if member is None or not signature_matches(member, card_epoch(member), signature):
        return None
    return member


def search_members(query: str, limit: int = 20) -> list[Member]:
    """Active members by member number, phone (exact) or part of the name."""
    query = (query or "").strip()[:80]
    if not query:
        return []
    conditions = [Member.name.contains(query, autoescape=True)]
    if query.isdigit():
        if len(query) <= 9:
            conditions.append(Member.number == int(query))
        conditions.append(Member.user_id.in_(select(User.id).where(User.phone == query)))
    rows = db.session.scalars(
        select(Member).where(Member.active.is_(True), or_(*conditions))
        .order_by(Member.number).limit(limit)
    )
    return list(rows)


def residents(limit: int = 2000) -> list[Member]:
    return list(db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.number).limit(limit)))

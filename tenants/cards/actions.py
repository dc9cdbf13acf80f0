from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.transactions import atomic
from core.types import utcnow
from tenants.cards.models import ResidentCard


def do_replace_card(member, actor) -> int:
    """Void the member's card: the next card printed carries a new code. Returns the epoch."""
    try:
        return _replace(member, actor)
    except IntegrityError:  # two staff replaced a never-replaced card at once: the row exists now
        return _replace(member, actor)


def _replace(member, actor) -> int:
    with atomic():
        card = db.session.scalar(
            select(ResidentCard).where(ResidentCard.member_id == member.id).with_for_update()
        )
        if card is None:
            card = ResidentCard(community_id=member.community_id, member_id=member.id, epoch=1)
            db.session.add(card)
        card.epoch += 1
        card.replaced_at = utcnow()
        record("card.replaced", getattr(actor, "id", actor), member=member.id, epoch=card.epoch)
    return card.epoch

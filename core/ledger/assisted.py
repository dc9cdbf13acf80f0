"""Who recorded a transaction for a resident, when it was not the resident.

Staff acting for a resident (a grid worker at the door, shop staff at the counter) post with
``actor`` = the staff user and ``member_id`` = the resident; the resident's record card shows
"by <staff>" when ``assisted_by`` returns someone.
"""

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, User


def assisted_by(transaction) -> User | None:
    """The user who recorded ``transaction`` for its member, or None when the member did it
    themself (or no actor was recorded)."""
    if transaction.actor_id is None or transaction.member_id is None:
        return None
    member_user = db.session.scalar(select(Member.user_id).where(
        Member.community_id == transaction.community_id, Member.id == transaction.member_id))
    if member_user == transaction.actor_id:
        return None
    return db.session.get(User, transaction.actor_id)

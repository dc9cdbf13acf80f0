"""Finding the resident in front of the staff at the door: a scanned or typed resident-card
code (the cards capability's signed codes), or a search by member number, phone or name.

A text that has the shape of a card code is only ever checked as one: a wrong or old card
counts as a failure against the staff member and their address (the cards throttle), so
codes cannot be guessed at the door any more than at the counter.
"""

from core.throttle import Throttled
from tenants.cards.codes import parse_code
from tenants.cards.queries import card_throttle, member_for_code, search_members, throttle_keys


class CardThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def looks_like_card(text) -> bool:
    return parse_code((text or "").strip()) is not None


def find_members(text: str, user=None, limit: int = 20) -> list:
    """Members for what staff typed or scanned; ``user`` (the staff user) is throttled on
    card codes that match no current card."""
    text = (text or "").strip()[:80]
    if not text:
        return []
    if looks_like_card(text):
        keys = throttle_keys(user) if user is not None else ()
        try:
            card_throttle.check(*keys)
        except Throttled as exc:
            raise CardThrottled(exc.retry_after) from exc
        member = member_for_code(text)
        if member is None:
            card_throttle.failed(*keys)
            return []
        return [member]
    return search_members(text, limit=limit)

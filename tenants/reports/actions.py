"""The one setting the dashboards own: what a point is worth to the community, for the
outstanding points' money value (``settings["point_value_minor"]``, minor units per point).
Without it, the average value of the community's merchant partnerships is used."""

from decimal import Decimal

from babel.numbers import get_currency_precision

from core.audit.actions import record
from core.transactions import atomic

MAX_VALUE = Decimal("100")  # a point worth more than 100 yuan is a typo


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount * (10 ** get_currency_precision(currency))).to_integral_value())


def do_set_point_value(community, amount: Decimal | None, *, actor) -> None:
    """Set (or, with None, clear) the community's point value."""
    with atomic():
        settings = dict(community.settings or {})
        if amount is None:
            settings.pop("point_value_minor", None)
        else:
            settings["point_value_minor"] = to_minor(amount, community.currency)
        community.settings = settings  # a new dict: the JSON column sees the change
        record("figures.point_value_set", actor, community_id=community.id,
               point_value_minor=settings.get("point_value_minor"))

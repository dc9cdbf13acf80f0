"""The notices core itself sends: points received and points about to expire."""

from datetime import datetime

from flask_babel import format_date
from flask_babel import gettext as _

from core.notifications.actions import register_kind


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _points_received(p: dict) -> str:
    return _("You received %(points)d points: %(reason)s", points=int(p["points"]), reason=p.get("reason", ""))


def _points_expiring(p: dict) -> str:
    return _("%(points)d of your points expire on %(date)s. Spend them in the shop before then.",
             points=int(p["points"]), date=format_date(when(p["on"]), "long"))


def register() -> None:
    register_kind("points.received", _points_received)
    register_kind("points.expiring", _points_expiring, channels=["sms"])

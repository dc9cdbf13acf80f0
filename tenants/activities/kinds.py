"""The notices activities send, worded at display time."""

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _

from core.notifications.actions import register_kind


def _when(p) -> str:
    return format_datetime(datetime.fromisoformat(p["starts_at"]), "medium") if p.get("starts_at") else ""


def register() -> None:
    register_kind("activity.signed_up", lambda p: _(
        "You have a place in %(title)s (%(when)s).", title=p["title"], when=_when(p)))
    register_kind("activity.waitlisted", lambda p: _(
        "%(title)s is full: you are on the waitlist and will be told if a place frees up.",
        title=p["title"]))
    register_kind("activity.promoted", lambda p: _(
        "A place freed up: you now have a place in %(title)s (%(when)s).", title=p["title"], when=_when(p)),
        channels=["sms"])
    register_kind("activity.cancelled", lambda p: _(
        "%(title)s has been cancelled.", title=p["title"]), channels=["sms"])

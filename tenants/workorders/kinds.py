"""The notices work orders send, worded at display time."""

from flask_babel import gettext as _

from core.notifications.actions import register_kind


def register() -> None:
    register_kind("order.reported", lambda p: _(
        "New order #%(number)d (%(category)s) in your grid.", number=p["number"], category=p.get("category", "")))
    register_kind("order.accepted", lambda p: _(
        "Your order #%(number)d has been accepted by a grid worker.", number=p["number"]))
    register_kind("order.dispatched", lambda p: _(
        "Order #%(number)d (%(category)s) has been handed to you.", number=p["number"],
        category=p.get("category", "")), channels=["sms"])
    register_kind("order.done", lambda p: _(
        "Order #%(number)d is done. Please confirm and rate it.", number=p["number"]), channels=["sms"])
    register_kind("order.rejected", lambda p: _(
        "Order #%(number)d was not taken up: %(reason)s", number=p["number"], reason=p.get("reason", "")))
    register_kind("order.escalated", lambda p: _(
        "Order #%(number)d (%(category)s) is past its deadline.", number=p["number"],
        category=p.get("category", "")), channels=["sms"])

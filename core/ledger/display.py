"""How a transaction reads to a resident. Reasons of system kinds are worded at display time,
in the reader's language; the others were written by people (a rule's name and a date)."""

from flask_babel import gettext as _


def reason_text(kind: str, reason: str) -> str:
    system = {
        "expiry": _("Points expired"),
        "shop": _("Points shop: %(reason)s", reason=reason),
        "refund": _("Refund: %(reason)s", reason=reason),
        "reversal": _("Correction: %(reason)s", reason=reason) if reason else _("Correction"),
    }
    return system.get(kind, reason)

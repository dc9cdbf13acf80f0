"""The work order's state machine: which step may follow which status. Every action asks
``require_step`` first; a wrong step is a 409 that says, in words, what state the order is
in and what can happen next."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import conflict
from tenants.workorders.models import OrderStatus as S

# step -> the statuses it may start from, and the status it leads to (None: unchanged)
STEPS = {
    "accept": ((S.REPORTED,), S.ACCEPTED),
    "dispatch": ((S.REPORTED, S.ACCEPTED, S.DISPATCHED), S.DISPATCHED),
    "reject": ((S.REPORTED, S.ACCEPTED), S.REJECTED),
    "cancel": ((S.REPORTED,), S.CANCELLED),
    "done": ((S.ACCEPTED, S.DISPATCHED), S.DONE),
    "confirm": ((S.DONE,), S.CLOSED),
    "auto_close": ((S.DONE,), S.CLOSED),
    "escalate": ((S.REPORTED, S.ACCEPTED, S.DISPATCHED), None),
}

STATUS_WORDS = {
    S.REPORTED: _l("reported, waiting for a grid worker"),
    S.ACCEPTED: _l("accepted"),
    S.DISPATCHED: _l("dispatched"),
    S.DONE: _l("done, waiting for the resident's confirmation"),
    S.CLOSED: _l("closed"),
    S.REJECTED: _l("rejected"),
    S.CANCELLED: _l("cancelled"),
}

STEP_WORDS = {
    "accept": _l("accepted"),
    "dispatch": _l("dispatched"),
    "reject": _l("rejected"),
    "cancel": _l("cancelled"),
    "done": _l("marked as done"),
    "confirm": _l("confirmed"),
    "auto_close": _l("closed"),
    "escalate": _l("escalated"),
}


def next_steps(status) -> list[str]:
    return [step for step, (sources, _to) in STEPS.items() if status in sources and step != "auto_close"]


def require_step(order, step: str):
    """The status ``step`` leads to, or a 409 naming the order's status."""
    sources, target = STEPS[step]
    if order.status not in sources:
        raise conflict("invalid_transition", _(
            "Order #%(number)d is %(status)s: it cannot be %(step)s now.",
            number=order.number, status=STATUS_WORDS[order.status], step=STEP_WORDS[step]))
    return target

from flask_babel import lazy_gettext as _l

from tenants.workorders.flow import STATUS_WORDS
from tenants.workorders.models import OrderKind, OrderStatus, Urgency

KINDS = {
    OrderKind.NEED: _l("Need"),
    OrderKind.WISH: _l("Micro-wish"),
    OrderKind.HAZARD: _l("Hazard report"),
}

URGENCIES = {
    Urgency.LOW: _l("Can wait"),
    Urgency.NORMAL: _l("Normal"),
    Urgency.HIGH: _l("Soon"),
    Urgency.URGENT: _l("Urgent"),
}

SHORT_STATUS = {
    OrderStatus.REPORTED: _l("Waiting"),
    OrderStatus.ACCEPTED: _l("Accepted"),
    OrderStatus.DISPATCHED: _l("Dispatched"),
    OrderStatus.DONE: _l("Done: please confirm"),
    OrderStatus.CLOSED: _l("Closed"),
    OrderStatus.REJECTED: _l("Rejected"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}

STEPS = {
    "reported": _l("Reported"),
    "accepted": _l("Accepted"),
    "dispatched": _l("Dispatched"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "done": _l("Work done"),
    "confirmed": _l("Confirmed and rated"),
    "auto_closed": _l("Closed automatically (not confirmed in time)"),
    "escalated": _l("Escalated to the community admin (past the deadline)"),
    "reporter_paid": _l("Hazard confirmed: reporter earned points"),
}


def kind_label(kind) -> str:
    return str(KINDS[OrderKind(kind)])


def urgency_label(urgency) -> str:
    return str(URGENCIES[Urgency(urgency)])


def status_label(status) -> str:
    return str(SHORT_STATUS[OrderStatus(status)])


def status_words(status) -> str:
    return str(STATUS_WORDS[OrderStatus(status)])


def step_label(step) -> str:
    return str(STEPS.get(step, step))

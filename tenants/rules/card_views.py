"""The personal record card (个人记录卡): balance, account kind, and every change of points
with a reason a resident can read; by month; printable on one A4 page."""

import re
from datetime import date

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.identity.models import AccountKind
from core.ledger.display import reason_text
from core.ledger.queries import balance, expiring_soon, history
from core.tenancy.access import NotFound, access_member
from core.types import utcnow
from core.web.community import community_blueprint
from tenants.rules import queries

bp = community_blueprint("records", __name__)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
HISTORY_LIMIT = 1000  # a lifetime of a very active volunteer; the month filter narrows it


def kind_label(kind: AccountKind) -> tuple[str, str]:
    """(the account's name, who holds such an account)."""
    return {
        AccountKind.RED: (_("Red account"), _("party member")),
        AccountKind.BLUE: (_("Blue account"), _("resident")),
        AccountKind.GREEN: (_("Green account"), _("building or unit head")),
    }[kind]


def _month(value):
    """(year, month) from ``YYYY-MM``, or None for "all months"; 404-free: bad input → all."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month


def _months_back(today: date, count: int = 24) -> list[tuple[int, int]]:
    months, year, month = [], today.year, today.month
    for _i in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def card_data(member, month_arg):
    community = g.community
    now = utcnow()
    chosen = _month(month_arg)
    start = end = None
    if chosen:
        start, end = queries.month_bounds(community, *chosen)
    entries = history(member, start=start, end=end, limit=HISTORY_LIMIT)
    names = queries.user_names(e.actor_id for e in entries)
    notes = queries.awards_of(community.id, [e.transaction_id for e in entries])
    rows = [
        {
            "at": e.at, "points": e.points, "balance_after": e.balance_after,
            "reason": reason_text(e.kind, e.reason), "by": names.get(e.actor_id),
            "note": notes[e.transaction_id].note if e.transaction_id in notes else "",
        }
        for e in entries
    ]
    today = queries.local_now(community, now).date()
    return {
        "member": member,
        "balance": balance(member),
        "kind_label": kind_label(member.account_kind),
        "expiring": expiring_soon(member, now),
        "rows": rows,
        "earned": sum(r["points"] for r in rows if r["points"] > 0),
        "spent": -sum(r["points"] for r in rows if r["points"] < 0),
        "month": f"{chosen[0]:04d}-{chosen[1]:02d}" if chosen else "",
        "month_choices": [f"{y:04d}-{m:02d}" for y, m in _months_back(today)],
        "own": g.actor.member is not None and g.actor.member.id == member.id,
        "printed_on": today,
    }


def _member(member_id):
    try:
        return access_member(g.actor, member_id)
    except NotFound:
        abort(404)


@bp.get("/card")
def my_card():
    if g.actor.member is None:
        abort(404)
    return redirect(url_for("records.card", member_id=g.actor.member.id,
                            month=request.args.get("month") or None))


@bp.get("/members/<member_id>/card")
def card(member_id):
    member = _member(member_id)
    return render_template("tenants/rules/card.html", **card_data(member, request.args.get("month")))


@bp.get("/members/<member_id>/card/print")
def card_print(member_id):
    member = _member(member_id)
    return render_template("tenants/rules/card_print.html",
                           **card_data(member, request.args.get("month")))

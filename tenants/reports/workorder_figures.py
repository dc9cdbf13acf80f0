"""The work orders' figures on the dashboards (tenants.workorders): opened, closed and overdue
orders, hazards reported, the average rating and time to close (from the work orders' own
``satisfaction_by_grid_month``), and a breakdown per grid.

- opened: orders reported in the month (every kind); hazards: those of the hazard kind;
- closed: orders closed after handling in the month (confirmed by the resident or closed by
  themselves after the waiting days; rejected and cancelled ones are not "closed" work);
- overdue: orders open at the month's end (or now) past their deadline: reported before,
  not handled (``done_at``) and not closed (``closed_at``: also rejected or cancelled) by then;
- average rating and hours to close: over the orders closed in the month, kept as their two
  sums so a district's total is the true average over all its orders.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from core.extensions import db
from core.figures.registry import Breakdown, Figure, register_breakdown, register_figure
from core.figures.values import Ratio
from tenants.workorders.models import OrderKind, OrderStatus, WorkOrder
from tenants.workorders.queries import satisfaction_by_grid_month

HANDLED = ("confirmed", "auto")


def _groups(request):
    """Communities by the instants that bound the month for them (one query per group)."""
    groups = defaultdict(list)
    for community in request.communities:
        start, end = request.bounds(community)
        groups[(start, end, request.until(community))].append(community.id)
    return groups


def _counts(request) -> dict:
    def load():
        out = {cid: {"opened": 0, "hazards": 0, "closed": 0, "overdue": 0} for cid in request.ids}
        for (start, end, until), ids in _groups(request).items():
            in_month = and_(WorkOrder.created_at >= start, WorkOrder.created_at < end)
            closed = and_(WorkOrder.status == OrderStatus.CLOSED, WorkOrder.closed_how.in_(HANDLED),
                          WorkOrder.closed_at >= start, WorkOrder.closed_at < end)
            overdue = and_(WorkOrder.created_at < until, WorkOrder.deadline_at < until,
                           or_(WorkOrder.done_at.is_(None), WorkOrder.done_at >= until),
                           or_(WorkOrder.closed_at.is_(None), WorkOrder.closed_at >= until))
            rows = db.session.execute(
                select(WorkOrder.community_id,
                       func.sum(case((in_month, 1), else_=0)),
                       func.sum(case((and_(in_month, WorkOrder.kind == OrderKind.HAZARD), 1), else_=0)),
                       func.sum(case((closed, 1), else_=0)),
                       func.sum(case((overdue, 1), else_=0)))
                .where(WorkOrder.community_id.in_(ids), WorkOrder.created_at < end)
                .group_by(WorkOrder.community_id)
            ).all()
            for cid, opened, hazards, closed_n, overdue_n in rows:
                out[cid] = {"opened": int(opened or 0), "hazards": int(hazards or 0),
                            "closed": int(closed_n or 0), "overdue": int(overdue_n or 0)}
        return out

    return request.memo(("workorders", request.month), load)


def _grid_months(request) -> list:
    def load():
        rows = []
        for (start, end, _until), ids in _groups(request).items():
            rows += satisfaction_by_grid_month(ids, start, end)
        return rows

    return request.memo(("workorders_by_grid", request.month), load)


def _count(key):
    return lambda request: {cid: counts[key] for cid, counts in _counts(request).items()}


def average_rating(request) -> dict:
    out = {cid: Ratio(0, 0) for cid in request.ids}
    for row in _grid_months(request):
        if row.rated:
            out[row.community_id] += Ratio(row.average_rating * row.rated, row.rated)
    return out


def hours_to_close(request) -> dict:
    out = {cid: Ratio(0, 0) for cid in request.ids}
    for row in _grid_months(request):
        if row.closed and row.average_hours_to_close is not None:
            out[row.community_id] += Ratio(row.average_hours_to_close * row.closed, row.closed)
    return out


def by_grid(request) -> list[dict]:
    return [
        {"community_id": row.community_id, "grid": row.grid or str(_l("No grid yet")), "closed": row.closed,
         "average_rating": Ratio(row.average_rating * row.rated, row.rated) if row.rated else None,
         "satisfied": Ratio(row.satisfied_percent / 100 * row.rated, row.rated) if row.rated else None,
         "hours": Ratio(row.average_hours_to_close * row.closed, row.closed)
         if row.average_hours_to_close is not None else None}
        for row in sorted(_grid_months(request), key=lambda r: (str(r.community_id), r.grid or ""))
    ]


def register() -> None:
    register_figure(Figure("orders_opened", _l("Work orders opened"), "count", _count("opened"),
                           section="workorders", order=10, series=True))
    register_figure(Figure("orders_closed", _l("Work orders closed"), "count", _count("closed"),
                           section="workorders", order=11, series=True))
    register_figure(Figure(
        "orders_overdue", _l("Work orders overdue"), "count", _count("overdue"), section="workorders",
        order=12, lower_is_better=True,
        description=_l("Open at the month's end (or now) and past their deadline.")))
    register_figure(Figure("hazards_reported", _l("Hazards reported"), "count", _count("hazards"),
                           section="workorders", order=13))
    register_figure(Figure(
        "average_rating", _l("Average rating"), "rating", average_rating, section="workorders",
        order=14, description=_l("Residents' rating (1 to 5) of the orders closed in the month.")))
    register_figure(Figure("hours_to_close", _l("Hours to close"), "hours", hours_to_close,
                           section="workorders", order=15, lower_is_better=True,
                           description=_l("On average, from the report to the close.")))
    register_breakdown(Breakdown(
        "workorders_by_grid", _l("Work orders closed, by grid"),
        (("grid", _l("Grid"), "text"), ("closed", _l("Work orders closed"), "count"),
         ("average_rating", _l("Average rating"), "rating"), ("satisfied", _l("Satisfied"), "percent"),
         ("hours", _l("Hours to close"), "hours")),
        by_grid, order=20))

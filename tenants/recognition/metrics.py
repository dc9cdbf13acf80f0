"""Numbers recognition is computed from, per member and period, each from the capability that
owns the data. Two kinds:

- staff metrics (grid workers' medals): ``register_staff_metric(Metric(...))``;
- resident metrics (integrity stars): ``register_resident_metric(Metric(...))``.

``compute(community, start, end) -> {member_id: number}`` runs in the community's scope.
Here: years of service, points recorded, work orders closed and their average rating (staff);
points earned, uncollected shop orders and claims turned down (residents); leaderboards by
account kind, grid and building. They read the shop, rules, grid and work orders' tables. A threshold naming a metric nobody registered is
shown as "not available" and ignored.

Groupings for leaderboards (account kind built in; grid and building from the grid):
``register_grouping(Grouping(name, label, fn(community) -> {member_id: (key, label)}))``.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from core.extensions import db
from core.identity.models import Member, Role
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction


@dataclass(frozen=True)
class Metric:
    name: str
    label: object
    compute: Callable
    unit: str = "count"  # count, points, years, rating
    lower_is_better: bool = False


@dataclass(frozen=True)
class Grouping:
    name: str
    label: object
    groups: Callable


_staff: dict[str, Metric] = {}
_residents: dict[str, Metric] = {}
_groupings: dict[str, Grouping] = {}


def register_staff_metric(metric: Metric) -> Metric:
    _staff[metric.name] = metric
    return metric


def register_resident_metric(metric: Metric) -> Metric:
    _residents[metric.name] = metric
    return metric


def register_grouping(grouping: Grouping) -> Grouping:
    _groupings[grouping.name] = grouping
    return grouping


def staff_metrics() -> dict[str, Metric]:
    return dict(_staff)


def resident_metrics() -> dict[str, Metric]:
    return dict(_residents)


def groupings() -> dict[str, Grouping]:
    return dict(_groupings)


# --- built in ----------------------------------------------------------------------------------


def points_earned(community, start, end) -> dict:
    """Points each member earned in [start, end): awards from the issuance account, net of
    awards reversed in the period."""
    rows = db.session.execute(
        select(LedgerTransaction.member_id, func.sum(-LedgerPosting.amount))
        .select_from(LedgerPosting)
        .join(LedgerAccount, and_(LedgerAccount.community_id == LedgerPosting.community_id,
                                  LedgerAccount.id == LedgerPosting.account_id))
        .join(LedgerTransaction, and_(LedgerTransaction.community_id == LedgerPosting.community_id,
                                      LedgerTransaction.id == LedgerPosting.transaction_id))
        .where(LedgerPosting.community_id == community.id, LedgerAccount.kind == AccountKind.ISSUANCE,
               LedgerTransaction.member_id.is_not(None),
               LedgerPosting.created_at >= start, LedgerPosting.created_at < end)
        .group_by(LedgerTransaction.member_id)
    ).all()
    return {member_id: int(total) for member_id, total in rows if total}


def years_of_service(community, start, end) -> dict:
    rows = db.session.execute(select(Member.id, Member.created_at).where(
        Member.community_id == community.id, Member.role != Role.RESIDENT, Member.active.is_(True)))
    return {member_id: round(max((end - joined).days, 0) / 365.25, 1) for member_id, joined in rows}


def points_recorded(community, start, end) -> dict:
    """Points a staff member awarded to residents in the period (their own recorded work)."""
    staff = dict(db.session.execute(select(Member.user_id, Member.id).where(
        Member.community_id == community.id, Member.role != Role.RESIDENT)).all())
    if not staff:
        return {}
    rows = db.session.execute(
        select(LedgerTransaction.actor_id, func.sum(-LedgerPosting.amount))
        .select_from(LedgerPosting)
        .join(LedgerAccount, and_(LedgerAccount.community_id == LedgerPosting.community_id,
                                  LedgerAccount.id == LedgerPosting.account_id))
        .join(LedgerTransaction, and_(LedgerTransaction.community_id == LedgerPosting.community_id,
                                      LedgerTransaction.id == LedgerPosting.transaction_id))
        .where(LedgerPosting.community_id == community.id, LedgerAccount.kind == AccountKind.ISSUANCE,
               LedgerTransaction.actor_id.in_(list(staff)),
               LedgerPosting.created_at >= start, LedgerPosting.created_at < end)
        .group_by(LedgerTransaction.actor_id)
    ).all()
    return {staff[user_id]: int(total) for user_id, total in rows if total}


def orders_uncollected(community, start, end) -> dict:
    from tenants.shop.models import OrderStatus, ShopOrder

    rows = db.session.execute(
        select(ShopOrder.member_id, func.count())
        .where(ShopOrder.community_id == community.id, ShopOrder.status == OrderStatus.EXPIRED,
               ShopOrder.expires_at >= start, ShopOrder.expires_at < end)
        .group_by(ShopOrder.member_id)).all()
    return {member_id: int(n) for member_id, n in rows}


def claims_rejected(community, start, end) -> dict:
    """Claims a grid worker turned down in the period, per member (tenants.rules)."""
    from tenants.rules.models import Claim, ClaimStatus

    rows = db.session.execute(
        select(Claim.member_id, func.count())
        .where(Claim.community_id == community.id, Claim.status == ClaimStatus.REJECTED,
               Claim.decided_at >= start, Claim.decided_at < end)
        .group_by(Claim.member_id)).all()
    return {member_id: int(n) for member_id, n in rows}


def _closed_orders(community, start, end) -> dict:
    """``{member_id: {order_id: rating}}``: work orders closed in the period after handling,
    by each staff member who took them (accepted or dispatched) or handled them."""
    from tenants.workorders.models import OrderHandler, OrderStatus, WorkOrder

    closed = and_(WorkOrder.community_id == community.id, WorkOrder.status == OrderStatus.CLOSED,
                  WorkOrder.closed_how.in_(("confirmed", "auto")),
                  WorkOrder.closed_at >= start, WorkOrder.closed_at < end)
    out = defaultdict(dict)
    for member_id, order_id, rating in db.session.execute(
            select(WorkOrder.taken_by_id, WorkOrder.id, WorkOrder.rating)
            .where(closed, WorkOrder.taken_by_id.is_not(None))):
        out[member_id][order_id] = rating
    for member_id, order_id, rating in db.session.execute(
            select(OrderHandler.member_id, WorkOrder.id, WorkOrder.rating)
            .join(WorkOrder, and_(WorkOrder.community_id == OrderHandler.community_id,
                                  WorkOrder.id == OrderHandler.order_id))
            .where(closed)):
        out[member_id][order_id] = rating
    return out


def orders_closed(community, start, end) -> dict:
    """Work orders a staff member took or handled that were closed in the period."""
    return {member_id: len(orders) for member_id, orders in _closed_orders(community, start, end).items()}


def average_rating(community, start, end) -> dict:
    """The residents' average rating (1 to 5) of those orders."""
    out = {}
    for member_id, orders in _closed_orders(community, start, end).items():
        ratings = [r for r in orders.values() if r is not None]
        if ratings:
            out[member_id] = round(sum(ratings) / len(ratings), 2)
    return out


def grids(community) -> dict:
    """Each resident's grid, through their building (tenants.grid)."""
    from tenants.grid.models import Building, Grid, Residence

    rows = db.session.execute(
        select(Residence.member_id, Grid.id, Grid.name)
        .join(Building, and_(Building.community_id == Residence.community_id, Building.id == Residence.building_id))
        .join(Grid, and_(Grid.community_id == Building.community_id, Grid.id == Building.grid_id))
        .where(Residence.community_id == community.id)).all()
    return {member_id: (str(grid_id), name) for member_id, grid_id, name in rows}


def buildings(community) -> dict:
    from tenants.grid.models import Building, Residence

    rows = db.session.execute(
        select(Residence.member_id, Building.id, Building.name)
        .join(Building, and_(Building.community_id == Residence.community_id, Building.id == Residence.building_id))
        .where(Residence.community_id == community.id)).all()
    return {member_id: (str(building_id), name) for member_id, building_id, name in rows}


def account_kinds(community) -> dict:
    labels = {"red": _l("Red accounts"), "blue": _l("Blue accounts"), "green": _l("Green accounts")}
    rows = db.session.execute(select(Member.id, Member.account_kind).where(
        Member.community_id == community.id))
    return {member_id: (kind.value, str(labels[kind.value])) for member_id, kind in rows}


def register_builtins() -> None:
    register_staff_metric(Metric("years", _l("Years of service"), years_of_service, "years"))
    register_staff_metric(Metric("points_recorded", _l("Points recorded for residents"),
                                 points_recorded, "points"))
    register_resident_metric(Metric("points_earned", _l("Points earned"), points_earned, "points"))
    register_resident_metric(Metric("orders_uncollected", _l("Shop orders not collected"),
                                    orders_uncollected, "count", lower_is_better=True))
    register_resident_metric(Metric("claims_rejected", _l("Claims turned down"), claims_rejected,
                                    "count", lower_is_better=True))
    register_staff_metric(Metric("orders_closed", _l("Work orders closed"), orders_closed))
    register_staff_metric(Metric("average_rating", _l("Average rating"), average_rating, "rating"))
    register_grouping(Grouping("kind", _l("Account kind"), account_kinds))
    register_grouping(Grouping("grid", _l("Grid"), grids))
    register_grouping(Grouping("building", _l("Building"), buildings))

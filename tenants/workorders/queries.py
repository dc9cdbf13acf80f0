"""Reading work orders: the queues, a resident's orders, the timeline, and the figures
districts quote (satisfaction and time to close per grid and month)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from core.extensions import db
from core.identity.models import Member, User
from core.tenancy.models import Community
from tenants.grid.models import Grid, TeamMember
from tenants.grid.queries import grid_ids_staffed_by
from tenants.workorders.models import (
    OPEN_STATUSES,
    OrderCategory,
    OrderEvent,
    OrderHandler,
    OrderStatus,
    WorkOrder,
)


def categories(active_only: bool = True) -> list[OrderCategory]:
    query = select(OrderCategory).order_by(OrderCategory.kind, OrderCategory.name)
    if active_only:
        query = query.where(OrderCategory.active.is_(True))
    return list(db.session.scalars(query))


def staff_queue(member, *, mine_only: bool = False, limit: int = 200) -> list[WorkOrder]:
    """Open and done orders for staff: their grids' first (or only), then the rest, by deadline."""
    statuses = [*OPEN_STATUSES, OrderStatus.DONE]
    query = select(WorkOrder).where(WorkOrder.status.in_(statuses))
    grids = grid_ids_staffed_by(member.id) if member else set()
    if mine_only:
        conditions = [WorkOrder.grid_id.in_(grids), WorkOrder.assignee_id == (member.id if member else None),
                      WorkOrder.grid_id.is_(None)]
        query = query.where(or_(*conditions))
    orders = list(db.session.scalars(query.order_by(WorkOrder.deadline_at).limit(limit)))
    return sorted(orders, key=lambda o: (o.grid_id not in grids, o.deadline_at))


def resident_orders(member, limit: int = 100) -> list[WorkOrder]:
    """What the member reported, and what was handed to them or their teams."""
    teams = select(TeamMember.team_id).where(TeamMember.member_id == member.id)
    return list(db.session.scalars(
        select(WorkOrder).where(or_(WorkOrder.reporter_id == member.id, WorkOrder.assignee_id == member.id,
                                    WorkOrder.team_id.in_(teams)))
        .order_by(WorkOrder.created_at.desc()).limit(limit)
    ))


@dataclass
class TimelineEntry:
    event: OrderEvent
    who: str | None  # None: the system


def timeline(order) -> list[TimelineEntry]:
    rows = db.session.execute(
        select(OrderEvent, Member.name, User.name)
        .outerjoin(Member, (Member.community_id == OrderEvent.community_id) & (Member.id == OrderEvent.actor_member_id))
        .outerjoin(User, User.id == OrderEvent.actor_user_id)
        .where(OrderEvent.order_id == order.id).order_by(OrderEvent.created_at, OrderEvent.id)
    ).all()
    return [TimelineEntry(event, member_name or user_name) for event, member_name, user_name in rows]


def handlers(order) -> list[OrderHandler]:
    return list(db.session.scalars(select(OrderHandler).where(OrderHandler.order_id == order.id)))


def member_names(ids) -> dict:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())


# --- figures ---------------------------------------------------------------------------------------


@dataclass
class GridMonth:
    community_id: object
    grid_id: object  # None: orders of residents without a building
    grid: str | None
    month: str  # "2025-05", in the community's time zone
    closed: int
    rated: int
    average_rating: float | None  # 1-5, over rated orders
    satisfied_percent: float | None  # share of rated orders rated 4 or 5
    average_hours_to_close: float | None


def satisfaction_by_grid_month(community_ids, start: datetime, end: datetime) -> list[GridMonth]:
    """Orders closed in [start, end) after handling (confirmed or closed by themselves), per
    community, grid and local month: how many, the average rating and the share satisfied
    (rated 4 or 5), and the average hours from report to close.

    Callable across communities (a district dashboard) inside ``all_communities()``; within
    one community's scope it sees that community only."""
    communities = {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(list(community_ids))))}
    rows = db.session.execute(
        select(WorkOrder.community_id, WorkOrder.grid_id, Grid.name, WorkOrder.created_at, WorkOrder.closed_at,
               WorkOrder.rating)
        .outerjoin(Grid, (Grid.community_id == WorkOrder.community_id) & (Grid.id == WorkOrder.grid_id))
        .where(WorkOrder.community_id.in_(list(communities)), WorkOrder.status == OrderStatus.CLOSED,
               WorkOrder.closed_how.in_(["confirmed", "auto"]),
               WorkOrder.closed_at >= start, WorkOrder.closed_at < end)
    ).all()
    groups = defaultdict(list)
    for community_id, grid_id, grid_name, created_at, closed_at, rating in rows:
        zone = ZoneInfo(communities[community_id].timezone)
        month = closed_at.astimezone(zone).strftime("%Y-%m")
        groups[(community_id, grid_id, grid_name, month)].append((created_at, closed_at, rating))
    result = []
    for (community_id, grid_id, grid_name, month), items in groups.items():
        ratings = [r for _c, _d, r in items if r is not None]
        hours = [(closed - created).total_seconds() / 3600 for created, closed, _r in items]
        result.append(GridMonth(
            community_id, grid_id, grid_name, month, len(items), len(ratings),
            round(sum(ratings) / len(ratings), 2) if ratings else None,
            round(100 * sum(1 for r in ratings if r >= 4) / len(ratings), 1) if ratings else None,
            round(sum(hours) / len(hours), 1) if hours else None,
        ))
    return sorted(result, key=lambda r: (str(r.community_id), r.month, r.grid or ""))

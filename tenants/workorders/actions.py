"""Every step of a work order. Each ``do_*`` owns its transaction, asks the state machine
(``flow.require_step``) first, writes the step on the order's timeline (who and when) and
an audit row, and tells the people concerned. A refused step raises ``ActionError`` (409 for
a step that does not fit the status, 403 for a person who may not take it, 422 for bad
input) and writes nothing."""

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.errors import ActionError, conflict, invalid
from core.extensions import db
from core.identity.models import Member, Role
from core.ids import new_id
from core.notifications.actions import notify
from core.transactions import atomic
from core.types import utcnow
from tenants.grid.queries import (
    grid_of_member,
    is_team_member,
    staff_member_ids_of_grid,
    team_members,
)
from tenants.workorders import flow, paying, photos, settings
from tenants.workorders.models import (
    OrderCategory,
    OrderEvent,
    OrderHandler,
    OrderKind,
    OrderStatus,
    Urgency,
    WorkOrder,
)

MAX_TEXT = 2000
MAX_HELPERS = 20


def _forbidden():
    return ActionError(403, "forbidden", _("You are not allowed to do this."))


def _require_staff(actor) -> None:
    if actor is None or not actor.can(Role.GRID_WORKER):
        raise _forbidden()


def _lock(order: WorkOrder) -> WorkOrder:
    return db.session.scalar(
        select(WorkOrder).where(WorkOrder.id == order.id).with_for_update()
        .execution_options(populate_existing=True)
    )


def _event(order, step, actor=None, note=None, **data) -> OrderEvent:
    event = OrderEvent(
        id=new_id(), order_id=order.id, step=step,
        actor_member_id=actor.member.id if actor is not None and actor.member else None,
        actor_user_id=actor.user.id if actor is not None else None, note=note,
        data=json.loads(json.dumps(data, default=str)),  # ids as strings: JSON values only
    )
    db.session.add(event)
    return event


def _params(order) -> dict:
    return {"order": str(order.id), "number": order.number}


def _member(member_id) -> Member | None:
    return member_id and db.session.scalar(select(Member).where(Member.id == member_id))


def _clean_text(text, field, limit=MAX_TEXT, required=True) -> str:
    text = (text or "").strip()
    if (required and not text) or len(text) > limit:
        raise invalid("invalid", _("Write 1 to %(limit)d characters.", limit=limit) if required
                      else _("At most %(limit)d characters.", limit=limit), field)
    return text


# --- categories (community admin) -------------------------------------------------------------


def do_create_category(actor, *, name, kind, rule=None, reporter_rule=None, bonus_points=0) -> OrderCategory:
    if actor is None or not actor.can(Role.ADMIN):
        raise _forbidden()
    name = _clean_text(name, "name", 80)
    if isinstance(bonus_points, bool) or not isinstance(bonus_points, int) or not 0 <= bonus_points <= 1000:
        raise invalid("invalid", _("Give a number of points from 0 to 1000."), "bonus_points")
    if reporter_rule is not None and OrderKind(kind) != OrderKind.HAZARD:
        raise invalid("invalid", _("Only hazard reports pay their reporter."), "reporter_rule")
    with atomic():
        if db.session.scalar(select(OrderCategory.id).where(OrderCategory.name == name)):
            raise conflict("name_taken", _("A category with this name already exists."), "name")
        category = OrderCategory(id=new_id(), name=name, kind=OrderKind(kind), rule_id=rule.id if rule else None,
                                 reporter_rule_id=reporter_rule.id if reporter_rule else None,
                                 bonus_points=bonus_points)
        db.session.add(category)
        try:
            db.session.flush()
        except IntegrityError as exc:
            raise conflict("name_taken", _("A category with this name already exists."), "name") from exc
        record("workorders.category_created", actor.user, category=category.id, name=name, kind=kind)
    return category


# --- reporting ------------------------------------------------------------------------------------


def _next_number() -> int:
    return (db.session.scalar(select(func.max(WorkOrder.number))) or 0) + 1


def do_report(actor, *, reporter: Member, category: OrderCategory, text, place="", urgency=Urgency.NORMAL,
              photo: str | None = None, now: datetime | None = None) -> WorkOrder:
    """A resident reports, or staff report on a resident's behalf (``reporter`` is then not
    the actor). The order lands with the grid of the reporter's building."""
    if actor.member is None:
        raise _forbidden()  # a district admin visiting reports nothing here
    if actor.member.id != reporter.id:
        _require_staff(actor)
    if not category.active:
        raise invalid("invalid", _("This category is no longer used."), "category")
    text = _clean_text(text, "text")
    place = _clean_text(place, "place", 200, required=False)
    urgency = Urgency(urgency)
    now = now or utcnow()
    community = actor.community
    with atomic():
        grid = grid_of_member(reporter.id)
        for _attempt in range(5):  # two reports at once may pick the same number: pick again
            order = WorkOrder(
                id=new_id(), number=_next_number(), kind=category.kind, category_id=category.id, text=text,
                photo=photo, place=place, urgency=urgency, reporter_id=reporter.id,
                created_by_id=actor.member.id, grid_id=grid.id if grid else None,
                status=OrderStatus.REPORTED, deadline_at=now + settings.deadline_after(community, urgency),
            )
            try:
                with db.session.begin_nested():
                    db.session.add(order)
            except IntegrityError:
                continue
            break
        else:
            raise conflict("busy", _("Many reports arrived at once. Please send it again."))
        _event(order, "reported", actor, on_behalf=actor.member.id != reporter.id)
        staff_ids = staff_member_ids_of_grid(grid) if grid else []
        for member in db.session.scalars(select(Member).where(Member.id.in_(staff_ids))):
            if member.id != actor.member.id:
                notify(member, "order.reported", **_params(order), category=category.name)
        record("workorder.reported", actor.user, order=order.id, number=order.number, kind=order.kind,
               grid=order.grid_id, on_behalf=actor.member.id != reporter.id)
    return order


# --- taking the order ---------------------------------------------------------------------------


def _take(actor, order) -> None:
    if order.taken_by_id is None:
        order.taken_by_id = actor.member.id if actor.member else None


def do_accept(actor, order: WorkOrder) -> WorkOrder:
    """A grid worker takes the order themself (and confirms a hazard is real)."""
    _require_staff(actor)
    if actor.member is None:
        raise _forbidden()
    with atomic():
        order = _lock(order)
        order.status = flow.require_step(order, "accept")
        _take(actor, order)
        order.assignee_id, order.team_id = actor.member.id, None
        _event(order, "accepted", actor)
        _confirm_hazard(actor, order)
        notify(order.reporter, "order.accepted", **_params(order))
        record("workorder.accepted", actor.user, order=order.id)
    return order


def do_dispatch(actor, order: WorkOrder, *, member: Member | None = None, team=None, note: str = "") -> WorkOrder:
    """Hand the order to a person or a volunteer team (again: re-dispatch)."""
    _require_staff(actor)
    if (member is None) == (team is None):
        raise invalid("invalid", _("Choose a person or a team."), "assignee")
    note = _clean_text(note, "note", 500, required=False)
    with atomic():
        order = _lock(order)
        order.status = flow.require_step(order, "dispatch")
        _take(actor, order)
        order.assignee_id = member.id if member else None
        order.team_id = team.id if team else None
        _event(order, "dispatched", actor, note=note or None,
               member=member.id if member else None, team=team.id if team else None)
        _confirm_hazard(actor, order)
        receivers = [member] if member else team_members(team.id)
        for receiver in receivers:
            notify(receiver, "order.dispatched", **_params(order), category=order.category.name)
        record("workorder.dispatched", actor.user, order=order.id, member=member.id if member else None,
               team=team.id if team else None)
    return order


def _confirm_hazard(actor, order) -> None:
    if order.kind == OrderKind.HAZARD and not order.reporter_paid:
        points = paying.pay_reporter(order, order.category, actor.community, actor)
        if points:
            _event(order, "reporter_paid", actor, points=points)


def do_reject(actor, order: WorkOrder, reason: str) -> WorkOrder:
    """Not a real need or hazard (a duplicate, a prank): closed without points."""
    _require_staff(actor)
    reason = _clean_text(reason, "reason", 500)
    with atomic():
        order = _lock(order)
        order.status = flow.require_step(order, "reject")
        order.closed_at, order.closed_how = utcnow(), "rejected"
        _event(order, "rejected", actor, note=reason)
        notify(order.reporter, "order.rejected", **_params(order), reason=reason)
        record("workorder.rejected", actor.user, order=order.id, reason=reason)
    return order


def do_cancel(actor, order: WorkOrder) -> WorkOrder:
    """The reporter (or staff) withdraws an order nobody has taken yet."""
    if actor.member is None or actor.member.id != order.reporter_id:
        _require_staff(actor)
    with atomic():
        order = _lock(order)
        order.status = flow.require_step(order, "cancel")
        order.closed_at, order.closed_how = utcnow(), "cancelled"
        _event(order, "cancelled", actor)
        record("workorder.cancelled", actor.user, order=order.id)
    return order


# --- the work -------------------------------------------------------------------------------------


def may_handle(actor, order) -> bool:
    if actor.can(Role.GRID_WORKER):
        return True
    member = actor.member
    if member is None:
        return False
    if order.assignee_id == member.id:
        return True
    return order.team_id is not None and is_team_member(order.team_id, member.id)


def do_done(actor, order: WorkOrder, *, note: str, photo: str | None = None, helpers=(),
            hours: int | None = None) -> WorkOrder:
    """The handler records what was done; ``helpers`` (members who worked with them) are
    paid too. ``hours`` is asked for categories paid per hour."""
    if not may_handle(actor, order):
        raise _forbidden()
    if actor.member is None:
        raise _forbidden()
    note = _clean_text(note, "note")
    helpers = list({h.id: h for h in helpers if h.id != actor.member.id}.values())
    if len(helpers) > MAX_HELPERS:
        raise invalid("invalid", _("At most %(n)d helpers.", n=MAX_HELPERS), "helpers")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24):
        raise invalid("invalid", _("Give whole hours from 1 to 24."), "hours")
    with atomic():
        order = _lock(order)
        order.status = flow.require_step(order, "done")
        order.done_by_id, order.done_at, order.done_note, order.done_photo = actor.member.id, utcnow(), note, photo
        order.hours = hours
        db.session.execute(delete(OrderHandler).where(OrderHandler.order_id == order.id))
        for member in [actor.member, *helpers]:
            db.session.add(OrderHandler(id=new_id(), order_id=order.id, member_id=member.id))
        _event(order, "done", actor, note=note, helpers=[h.id for h in helpers], hours=hours,
               photo=bool(photo))
        notify(order.reporter, "order.done", **_params(order))
        record("workorder.done", actor.user, order=order.id, helpers=[h.id for h in helpers])
    return order


# A photo can be added after the step it belongs to (a till or an app that uploads after the
# JSON): what was seen, until the work is done; what was done, until the resident confirms.
PHOTO_OPEN = {"report": (OrderStatus.REPORTED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED),
              "done": (OrderStatus.DONE,)}


def may_attach_photo(actor, order, which: str) -> bool:
    if actor.can(Role.GRID_WORKER):
        return True
    member = actor.member
    if member is None:
        return False
    return member.id == (order.reporter_id if which == "report" else order.done_by_id)


def do_attach_photo(actor, order: WorkOrder, which: str, name: str) -> WorkOrder:
    """Attach a stored photo (``photos.save_upload``'s name) as the report's or the work's,
    replacing one sent before."""
    if which not in PHOTO_OPEN:
        raise invalid("invalid", _("A photo is of the report or of the work done."), "which")
    if not may_attach_photo(actor, order, which):
        raise _forbidden()
    with atomic():
        order = _lock(order)
        if order.status not in PHOTO_OPEN[which]:
            raise conflict("invalid_transition", _(
                "Order #%(number)d is %(status)s: this photo cannot be added now.",
                number=order.number, status=flow.STATUS_WORDS[order.status]))
        if which == "report":
            previous, order.photo = order.photo, name
        else:
            previous, order.done_photo = order.done_photo, name
        record("workorder.photo", actor.user, order=order.id, which=which)
    if previous and previous != name:  # once the new one is committed, the old file goes
        photos.discard(order.community_id, previous)
    return order


def may_confirm(actor, order) -> bool:
    """The reporter; or staff, when staff reported it on the resident's behalf (an elderly
    resident without a phone confirms to the grid worker)."""
    if actor.member is not None and actor.member.id == order.reporter_id:
        return True
    return order.created_by_id != order.reporter_id and actor.can(Role.GRID_WORKER)


def _handlers(order) -> list[OrderHandler]:
    return list(db.session.scalars(select(OrderHandler).where(OrderHandler.order_id == order.id)))


def _close_and_pay(actor, order, how: str, community) -> dict:
    order.status = flow.require_step(order, "confirm" if how == "confirmed" else "auto_close")
    order.closed_at, order.closed_how = utcnow(), how
    paid = paying.pay_handlers(order, order.category, community, _handlers(order))
    return paid


def do_confirm(actor, order: WorkOrder, *, rating: int, comment: str = "") -> WorkOrder:
    """The resident confirms the work and rates it 1 to 5; the handlers are paid."""
    if not may_confirm(actor, order):
        raise _forbidden()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise invalid("invalid", _("Choose from 1 to 5 stars."), "rating")
    comment = _clean_text(comment, "comment", 500, required=False)
    with atomic():
        order = _lock(order)
        flow.require_step(order, "confirm")
        order.rating, order.rating_comment = rating, comment or None
        paid = _close_and_pay(actor, order, "confirmed", actor.community)
        _event(order, "confirmed", actor, note=comment or None, rating=rating,
               paid={str(k): v for k, v in paid.items()})
        record("workorder.confirmed", actor.user, order=order.id, rating=rating, points=sum(paid.values()))
    return order


def do_auto_close(order: WorkOrder, community, now: datetime | None = None) -> bool:
    """The beat task's step: a done order unconfirmed for the set number of days closes."""
    now = now or utcnow()
    with atomic():
        order = _lock(order)
        if order.status != OrderStatus.DONE or order.done_at + settings.auto_close_after(community) > now:
            return False
        paid = _close_and_pay(None, order, "auto", community)
        _event(order, "auto_closed", None, paid={str(k): v for k, v in paid.items()})
        record("workorder.auto_closed", None, order=order.id, points=sum(paid.values()))
    return True


def do_escalate(order: WorkOrder, now: datetime | None = None) -> bool:
    """The beat task's step: an open order past its deadline goes to the community admins."""
    now = now or utcnow()
    with atomic():
        order = _lock(order)
        if order.escalated_at is not None or order.deadline_at > now:
            return False
        if order.status not in flow.STEPS["escalate"][0]:
            return False
        order.escalated_at = now
        _event(order, "escalated", None)
        admins = db.session.scalars(select(Member).where(Member.role == Role.ADMIN, Member.active.is_(True)))
        for admin in admins:
            notify(admin, "order.escalated", **_params(order), category=order.category.name)
        record("workorder.escalated", None, order=order.id)
    return True

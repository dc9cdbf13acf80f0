"""Closing a month: every statement of one community's month, drawn in set-based SQL.

One transaction per community (``do_close_community_month``): it takes the month's exclusive
lock (``periods``), returns at once if the month is already closed, then

1. sums the month's redeemed vouchers per merchant and currency in one ``GROUP BY``
   (a row per merchant, not per voucher) and inserts one statement per group;
2. copies the vouchers into lines with one ``INSERT ... SELECT`` joined to those statements;
3. records the closed month.

All of it commits or none of it does. A close killed half way (a crash, a deploy) left the
communities it finished closed and the others untouched; running it again skips the first
(their closed-month row) and closes the rest. Nothing is counted twice: a line's primary key
is its voucher's id, so even a bug could not put a voucher on two statements. Memory does not
grow with the number of vouchers: they never leave the database.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, select

from core.audit.actions import record, record_many
from core.extensions import db
from core.ids import new_id
from core.tenancy.context import all_communities, use_community
from core.tenancy.models import Community
from core.transactions import atomic
from core.types import UTCDateTime, utcnow
from merchants.errors import MarketError
from merchants.settlement.models import ClosedMonth, Statement, StatementLine, StatementStatus
from merchants.settlement.periods import lock_month, month_over, parse_month
from merchants.vouchers.models import Voucher, VoucherStatus


@dataclass
class Closed:
    community_id: object
    month: str
    statements: int
    vouchers: int
    already: bool = False  # closed before: nothing was created now


def month_not_over(month: str) -> MarketError:
    return MarketError("month_not_over",
                       _("%(month)s is not over yet: a month can be closed once it has ended.",
                         month=month))


def bad_month() -> MarketError:
    return MarketError("invalid", _("Write the month as YYYY-MM, for example 2025-03."),
                       status=422, field="month")


def _groups(community, month):
    value = func.coalesce(Voucher.point_value_minor, 0)
    currency = func.coalesce(Voucher.currency, community.currency)
    return db.session.execute(
        select(Voucher.merchant_id, currency, func.count(), func.sum(Voucher.points),
               func.sum(Voucher.points * value))
        .where(Voucher.community_id == community.id, Voucher.status == VoucherStatus.REDEEMED,
               Voucher.settlement_month == month)
        .group_by(Voucher.merchant_id, currency)
    ).all()


def _insert_lines(community, month, now):
    value = func.coalesce(Voucher.point_value_minor, 0)
    currency = func.coalesce(Voucher.currency, community.currency)
    source = (
        select(Voucher.community_id, Voucher.id, Statement.id, Voucher.merchant_id,
               Voucher.redeemed_at, Voucher.title, Voucher.code_tail, Voucher.points, value,
               Voucher.points * value, currency, literal(now, UTCDateTime()))
        .join(Statement, (Statement.community_id == Voucher.community_id)
              & (Statement.merchant_id == Voucher.merchant_id)
              & (Statement.month == Voucher.settlement_month)
              & (Statement.currency == currency))
        .where(Voucher.community_id == community.id, Voucher.status == VoucherStatus.REDEEMED,
               Voucher.settlement_month == month)
    )
    table = StatementLine.__table__
    columns = ["community_id", "id", "statement_id", "merchant_id", "redeemed_at", "title",
               "code_tail", "points", "point_value_minor", "amount_minor", "currency", "created_at"]
    db.session.execute(insert(table).from_select([table.c[c] for c in columns], source))
    # counted rather than read from the cursor's rowcount, which psycopg may not report (-1)
    return db.session.scalar(select(func.count()).select_from(StatementLine).join(
        Statement, (Statement.community_id == StatementLine.community_id)
        & (Statement.id == StatementLine.statement_id))
        .where(StatementLine.community_id == community.id, Statement.month == month))


def do_close_community_month(community_id, month: str, *, actor=None,
                             now: datetime | None = None) -> Closed:
    """Close ``month`` in one community: its statements, all at once. Idempotent."""
    if parse_month(month) is None:
        raise bad_month()
    now = now or utcnow()
    with use_community(community_id), atomic():
        community = db.session.get(Community, community_id)
        if community is None:
            raise MarketError("not_found", _("Not found."), status=404)
        if not month_over(month, community.timezone, now):
            raise month_not_over(month)
        lock_month(community.id, month, exclusive=True)
        done = db.session.scalar(select(ClosedMonth).where(
            ClosedMonth.community_id == community.id, ClosedMonth.month == month))
        if done is not None:
            return Closed(community.id, month, done.statements, done.vouchers, already=True)
        groups = _groups(community, month)
        rows = [dict(id=new_id(), community_id=community.id, merchant_id=merchant_id, month=month,
                     currency=currency, status=StatementStatus.ISSUED, vouchers=count,
                     points=int(points), amount_minor=int(amount), credited_minor=0,
                     created_at=now, updated_at=now)
                for merchant_id, currency, count, points, amount in groups]
        vouchers = 0
        if rows:
            db.session.execute(insert(Statement.__table__), rows)  # executemany: a row per merchant
            vouchers = _insert_lines(community, month, now)
            if vouchers != sum(r["vouchers"] for r in rows):  # the lock makes this impossible
                raise RuntimeError(f"settlement {community.id} {month}: lines do not match totals")
        db.session.execute(insert(ClosedMonth.__table__).values(
            id=new_id(), community_id=community.id, month=month, statements=len(rows),
            vouchers=vouchers, closed_by=getattr(actor, "id", None), created_at=now))
        record("settlement.month_closed", actor, community_id=community.id, month=month,
               statements=len(rows), vouchers=vouchers)
        record_many("settlement.statement_issued", actor, [
            dict(community_id=community.id, merchant_id=row["merchant_id"], statement=row["id"],
                 month=month, vouchers=row["vouchers"], points=row["points"],
                 amount_minor=row["amount_minor"], currency=row["currency"]) for row in rows])
    return Closed(community.id, month, len(rows), vouchers)


def communities_for(slugs=None) -> list[Community]:
    with all_communities():
        query = select(Community).order_by(Community.slug)
        if slugs:
            query = query.where(Community.slug.in_(list(slugs)))
        return list(db.session.scalars(query))


def do_close_month(month: str, *, actor=None, now: datetime | None = None,
                   communities: list | None = None) -> list[Closed]:
    """Close ``month`` everywhere (or in ``communities``): refused unless it is over in every
    one of them (time zones differ: the last to reach the 1st decides). Each community is
    its own transaction, so a crash half way loses nothing and a re-run finishes the rest."""
    if parse_month(month) is None:
        raise bad_month()
    now = now or utcnow()
    targets = communities if communities is not None else communities_for()
    if any(not month_over(month, c.timezone, now) for c in targets):
        raise month_not_over(month)
    ids = [c.id for c in targets]
    db.session.rollback()  # end the read: each community gets a transaction of its own
    return [do_close_community_month(cid, month, actor=actor, now=now) for cid in ids]

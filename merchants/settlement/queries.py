"""Reading statements: lists per merchant or per community, and access to one statement.

Access filters in the query (the merchant's own id, or the community's) and answers "not
found" for a missing statement and for another tenant's alike.
"""

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import NotFound
from core.tenancy.models import Community
from merchants.partners.models import Merchant
from merchants.settlement.models import CreditNote, Statement, StatementLine, StatementPayment

NEWEST_FIRST = (Statement.month.desc(), Statement.created_at.desc(), Statement.id.desc())


def merchant_statements(merchant_id, month: str | None = None, limit=None, offset=0):
    """``[(Statement, Community)]`` of one merchant, newest month first."""
    query = (select(Statement, Community).join(Community, Community.id == Statement.community_id)
             .where(Statement.merchant_id == merchant_id))
    if month:
        query = query.where(Statement.month == month)
    query = query.order_by(*NEWEST_FIRST, ).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in db.session.execute(query)]


def community_statements(community_id, month: str | None = None, limit=None, offset=0):
    """``[(Statement, Merchant)]`` of one community, newest month first."""
    query = (select(Statement, Merchant).join(Merchant, Merchant.id == Statement.merchant_id)
             .where(Statement.community_id == community_id))
    if month:
        query = query.where(Statement.month == month)
    query = query.order_by(*NEWEST_FIRST, Merchant.name).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in db.session.execute(query)]


def statement_for_merchant(merchant_id, statement_id) -> Statement:
    statement_id = parse_id(statement_id)
    row = statement_id and db.session.scalar(select(Statement).where(
        Statement.id == statement_id, Statement.merchant_id == merchant_id))
    if row is None:
        raise NotFound(statement_id)
    return row


def statement_for_community(community_id, statement_id) -> Statement:
    statement_id = parse_id(statement_id)
    row = statement_id and db.session.scalar(select(Statement).where(
        Statement.id == statement_id, Statement.community_id == community_id))
    if row is None:
        raise NotFound(statement_id)
    return row


def lines_of(statement: Statement) -> list[StatementLine]:
    return list(db.session.scalars(select(StatementLine).where(
        StatementLine.community_id == statement.community_id,
        StatementLine.statement_id == statement.id,
    ).order_by(StatementLine.redeemed_at, StatementLine.id)))


def credit_notes_of(statement: Statement) -> list[CreditNote]:
    return list(db.session.scalars(select(CreditNote).where(
        CreditNote.community_id == statement.community_id, CreditNote.statement_id == statement.id,
    ).order_by(CreditNote.created_at, CreditNote.id)))


def payment_of(statement: Statement) -> StatementPayment | None:
    return db.session.scalar(select(StatementPayment).where(
        StatementPayment.community_id == statement.community_id,
        StatementPayment.statement_id == statement.id))


def parties(statement: Statement) -> tuple[Community, Merchant]:
    community = db.session.get(Community, statement.community_id)
    merchant = db.session.get(Merchant, statement.merchant_id)
    return community, merchant


def line_of(statement: Statement, line_id) -> StatementLine | None:
    line_id = parse_id(line_id)
    return line_id and db.session.scalar(select(StatementLine).where(
        StatementLine.community_id == statement.community_id,
        StatementLine.statement_id == statement.id, StatementLine.id == line_id))

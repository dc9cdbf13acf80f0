"""Reading the ledger: balances, a member's history, what expires when, and verification."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from core.extensions import db
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from core.ledger.policy import NON_EARNING_KINDS


def wallet_account(member) -> LedgerAccount | None:
    return db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.community_id == member.community_id,
            LedgerAccount.key == f"wallet:{member.id}",
        )
    )


def balance(member) -> int:
    account = wallet_account(member)
    return account.balance if account else 0


@dataclass
class HistoryEntry:
    at: datetime
    points: int
    balance_after: int
    kind: str
    reason: str
    transaction_id: object
    actor_id: object


def history(member, *, start: datetime | None = None, end: datetime | None = None,
            limit: int | None = None, before: datetime | None = None) -> list[HistoryEntry]:
    """The member's wallet postings, newest first, with the transaction's reason."""
    account = wallet_account(member)
    if account is None:
        return []
    query = (
        select(LedgerPosting, LedgerTransaction)
        .join(
            LedgerTransaction,
            (LedgerTransaction.community_id == LedgerPosting.community_id)
            & (LedgerTransaction.id == LedgerPosting.transaction_id),
        )
        .where(LedgerPosting.community_id == member.community_id, LedgerPosting.account_id == account.id)
        .order_by(LedgerPosting.created_at.desc(), LedgerPosting.id.desc())
    )
    if start is not None:
        query = query.where(LedgerPosting.created_at >= start)
    if end is not None:
        query = query.where(LedgerPosting.created_at < end)
    if before is not None:
        query = query.where(LedgerPosting.created_at < before)
    if limit is not None:
        query = query.limit(limit)
    return [
        HistoryEntry(p.created_at, p.amount, p.balance_after, t.kind, t.reason, t.id, t.actor_id)
        for p, t in db.session.execute(query)
    ]


def _expiry_totals(account, now: datetime) -> tuple[int, int]:
    """(points earned with an expiry on or before ``now``, points used so far).

    Earned: credits that carry an expiry, less reversals of such credits (their debits carry
    the same expiry). Used: every other debit (spends, expiries), less what came back (refunds
    and reversed spends: credits of a non-earning kind or of a reversal).
    """
    P, T = LedgerPosting, LedgerTransaction
    came_back = (P.amount > 0) & P.expires_at.is_(None) & (
        T.reverses_id.is_not(None) | T.kind.in_(NON_EARNING_KINDS)
    )
    earned_due = func.coalesce(func.sum(case((P.expires_at <= now, P.amount), else_=0)), 0)
    used = func.coalesce(func.sum(case(
        ((P.amount < 0) & P.expires_at.is_(None), -P.amount),
        (came_back, -P.amount),
        else_=0,
    )), 0)
    row = db.session.execute(
        select(earned_due, used)
        .join(T, (T.community_id == P.community_id) & (T.id == P.transaction_id))
        .where(P.community_id == account.community_id, P.account_id == account.id)
    ).one()
    return int(row[0]), int(row[1])


def expirable_points(member, now: datetime, *, account: LedgerAccount | None = None) -> int:
    """Points due to expire by ``now``: points are used soonest-expiring first, so that is
    what was earned with an expiry up to ``now`` less everything used so far (never more
    than the balance). A reversal counts as if the reversed transaction had never happened.
    """
    account = account or wallet_account(member)
    if account is None:
        return 0
    earned_due, used = _expiry_totals(account, now)
    return max(0, min(earned_due - max(0, used), account.balance))


@dataclass
class Expiring:
    points: int
    on: datetime


def expiring_soon(member, now: datetime, days: int = 30) -> Expiring | None:
    """The first batch of points that will expire within ``days``, for the resident's notice."""
    account = wallet_account(member)
    if account is None or account.balance <= 0:
        return None
    horizon = now + timedelta(days=days)
    dates = db.session.scalars(
        select(LedgerPosting.expires_at).where(
            LedgerPosting.community_id == account.community_id,
            LedgerPosting.account_id == account.id,
            LedgerPosting.amount > 0,
            LedgerPosting.expires_at > now,
            LedgerPosting.expires_at <= horizon,
        ).distinct().order_by(LedgerPosting.expires_at)
    ).all()
    already = expirable_points(member, now)
    for on in dates:
        points = expirable_points(member, on) - already
        if points > 0:
            return Expiring(points, on)
    return None


# --- verification ---------------------------------------------------------------------------


@dataclass
class Problem:
    community_id: object
    what: str

    def __str__(self):
        return f"community {self.community_id}: {self.what}"


def verify(community_ids=None) -> list[Problem]:
    """Recompute every wallet from its postings and check every transaction sums to zero."""
    problems: list[Problem] = []
    unbalanced = select(LedgerPosting.community_id, LedgerPosting.transaction_id).group_by(
        LedgerPosting.community_id, LedgerPosting.transaction_id
    ).having(func.sum(LedgerPosting.amount) != 0)
    empty = select(LedgerTransaction.community_id, LedgerTransaction.id).where(
        ~select(LedgerPosting.id).where(
            LedgerPosting.community_id == LedgerTransaction.community_id,
            LedgerPosting.transaction_id == LedgerTransaction.id,
        ).exists()
    )
    sums = (
        select(LedgerAccount.community_id, LedgerAccount.id, LedgerAccount.key, LedgerAccount.balance,
               func.coalesce(func.sum(LedgerPosting.amount), 0))
        .outerjoin(LedgerPosting, (LedgerPosting.community_id == LedgerAccount.community_id)
                   & (LedgerPosting.account_id == LedgerAccount.id))
        .where(LedgerAccount.kind == AccountKind.WALLET)
        .group_by(LedgerAccount.community_id, LedgerAccount.id, LedgerAccount.key, LedgerAccount.balance)
    )
    if community_ids is not None:
        unbalanced = unbalanced.where(LedgerPosting.community_id.in_(community_ids))
        empty = empty.where(LedgerTransaction.community_id.in_(community_ids))
        sums = sums.where(LedgerAccount.community_id.in_(community_ids))
    for community_id, transaction_id in db.session.execute(unbalanced):
        problems.append(Problem(community_id, f"transaction {transaction_id} does not sum to zero"))
    for community_id, transaction_id in db.session.execute(empty):
        problems.append(Problem(community_id, f"transaction {transaction_id} has no postings"))
    for community_id, _id, key, cached, computed in db.session.execute(sums):
        if int(cached) != int(computed):
            problems.append(Problem(community_id, f"{key}: cached balance {cached} != postings {computed}"))
        if int(computed) < 0:
            problems.append(Problem(community_id, f"{key}: negative balance {computed}"))
    return problems

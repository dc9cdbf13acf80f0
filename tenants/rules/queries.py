"""Reading rules, awards, claims and members. Every query runs in the current community's
scope (automatic filtering), and names the community as well, as access functions do."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.identity.models import Member, User
from tenants.rules.models import Claim, ClaimStatus, Rule, RuleAward, RuleTemplate

# --- local time: days, months and years are the community's ---------------------------------


def local_now(community, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(community.timezone))


def _midnight(community, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(community.timezone))


def period_bounds(community, now: datetime, period: str) -> tuple[datetime, datetime]:
    """[start, end) of the community's local day, month or year that contains ``now``."""
    today = local_now(community, now).date()
    if period == "day":
        start, end = today, today + timedelta(days=1)
    elif period == "month":
        start = today.replace(day=1)
        end = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    else:
        start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    return _midnight(community, start), _midnight(community, end)


def month_bounds(community, year: int, month: int) -> tuple[datetime, datetime]:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return _midnight(community, start), _midnight(community, end)


# --- rules ------------------------------------------------------------------------------------


def rules(community_id, *, include_retired=False, claimable=None) -> list[Rule]:
    query = select(Rule).where(Rule.community_id == community_id)
    if not include_retired:
        query = query.where(Rule.active.is_(True))
    if claimable is not None:
        query = query.where(Rule.residents_may_claim.is_(claimable))
    return list(db.session.scalars(query.order_by(Rule.active.desc(), Rule.category, Rule.name)))


def rule_by_code(community_id, code) -> Rule | None:
    if not isinstance(code, str) or not code or len(code) > 40:
        return None
    return db.session.scalar(
        select(Rule).where(Rule.community_id == community_id, Rule.code == code)
    )


def rule_is_used(rule: Rule) -> bool:
    awarded = select(RuleAward.id).where(
        RuleAward.community_id == rule.community_id, RuleAward.rule_id == rule.id
    )
    claimed = select(Claim.id).where(Claim.community_id == rule.community_id, Claim.rule_id == rule.id)
    return bool(db.session.scalar(awarded.limit(1)) or db.session.scalar(claimed.limit(1)))


def templates_of(district_id) -> list[RuleTemplate]:
    return list(db.session.scalars(
        select(RuleTemplate).where(RuleTemplate.district_id == district_id).order_by(RuleTemplate.code)
    ))


# --- caps ---------------------------------------------------------------------------------------


def used(rule: Rule, member_id, start: datetime, end: datetime) -> int:
    """The quantity of ``rule`` awarded to the member for deeds done in [start, end)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(RuleAward.quantity), 0)).where(
            RuleAward.community_id == rule.community_id,
            RuleAward.member_id == member_id,
            RuleAward.rule_id == rule.id,
            RuleAward.earned_at >= start,
            RuleAward.earned_at < end,
        )
    )
    return int(total or 0)


@dataclass
class CapCheck:
    period: str
    cap: int
    used: int


def first_cap_exceeded(community, rule: Rule, member_id, quantity: int, earned_at: datetime,
                       extra: int = 0) -> CapCheck | None:
    """The first cap (day, month, year) that ``quantity`` more would exceed, or None.

    ``extra`` counts what this same request is about to award (bulk approvals of several
    claims by one member)."""
    for period, cap in (("day", rule.cap_day), ("month", rule.cap_month), ("year", rule.cap_year)):
        if cap is None:
            continue
        start, end = period_bounds(community, earned_at, period)
        so_far = used(rule, member_id, start, end) + extra
        if so_far + quantity > cap:
            return CapCheck(period, cap, so_far)
    return None


# --- members ------------------------------------------------------------------------------------


def search_members(community_id, q: str | None = None, *, limit: int = 200) -> list[Member]:
    """Active members by number; ``q`` matches a member number or part of a name."""
    query = select(Member).where(Member.community_id == community_id, Member.active.is_(True))
    q = (q or "").strip()[:80]
    if q:
        conditions = [Member.name.contains(q, autoescape=True)]
        if q.isdigit() and len(q) < 10:
            conditions.append(Member.number == int(q))
        query = query.where(or_(*conditions))
    return list(db.session.scalars(query.order_by(Member.number).limit(limit)))


def members_by_ids(community_id, ids) -> list[Member]:
    if not ids:
        return []
    return list(db.session.scalars(
        select(Member).where(Member.community_id == community_id, Member.id.in_(list(ids)))
        .order_by(Member.id)
    ))


def user_names(user_ids) -> dict:
    """Names of the users who recorded something (users are global: read by id only)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# --- claims ---------------------------------------------------------------------------------------


def claims(community_id, *, member_id=None, status=None, limit=50, before_id=None) -> list[Claim]:
    """Newest first; ``before_id`` pages on (ids are time-ordered)."""
    query = select(Claim).where(Claim.community_id == community_id)
    if member_id is not None:
        query = query.where(Claim.member_id == member_id)
    if status is not None:
        query = query.where(Claim.status == ClaimStatus(status))
    if before_id is not None:
        query = query.where(Claim.id < before_id)
    query = query.options(selectinload(Claim.rule), selectinload(Claim.member))
    return list(db.session.scalars(query.order_by(Claim.id.desc()).limit(limit)))


def pending_count(community_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Claim).where(
            Claim.community_id == community_id, Claim.status == ClaimStatus.PENDING
        )
    ) or 0


def awards_of(community_id, transaction_ids) -> dict:
    """The rule awards behind ledger transactions, by transaction id (for the record card)."""
    if not transaction_ids:
        return {}
    rows = db.session.scalars(
        select(RuleAward).where(
            RuleAward.community_id == community_id, RuleAward.transaction_id.in_(list(transaction_ids))
        )
    )
    return {row.transaction_id: row for row in rows}


def balances_of(community_id, member_ids) -> dict:
    """Wallet balances of many members in one read (members without a wallet: 0)."""
    from core.ledger.models import AccountKind, LedgerAccount

    if not member_ids:
        return {}
    rows = db.session.execute(
        select(LedgerAccount.member_id, LedgerAccount.balance).where(
            LedgerAccount.community_id == community_id,
            LedgerAccount.kind == AccountKind.WALLET,
            LedgerAccount.member_id.in_(list(member_ids)),
        )
    )
    return {member_id: int(value) for member_id, value in rows}

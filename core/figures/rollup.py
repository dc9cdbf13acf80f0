"""Folding ledger postings into the roll-up tables, and reading them back with the live tail.

Points move in four directions that dashboards report, told apart by the ledger account on
the other side of the member's wallet:

- issued: the issuance account (awards; a reversed award counts back, so the figure is net);
- spent: the shop and merchants' clearing accounts (net of refunds);
- expired: the expired account.

Outstanding points (what residents hold) = issued - spent - expired, since the beginning: every
transaction sums to zero, so this is exactly the sum of all wallets.

Why a lag: a posting's ``created_at`` is set when its transaction starts writing, and it
becomes visible at commit. Folding only postings older than ``LAG`` means a transaction still
open when the roll-up runs is not skipped (ledger transactions take milliseconds; the
database's statement timeout is far below the lag). Reads add the postings after the
watermark live, so figures are never behind.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, insert, or_, select, update

from core.extensions import db
from core.figures.models import (
    CurrentCounts,
    FigureWatermark,
    KindMonth,
    MemberActivity,
    MonthSnapshot,
)
from core.figures.months import Month, months_between
from core.identity.models import Member, Role
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from core.tenancy.context import all_communities
from core.tenancy.models import Community
from core.transactions import atomic

LAG = timedelta(minutes=5)
ACTIVE_WINDOW = timedelta(days=90)
FLOW_ACCOUNTS = (AccountKind.ISSUANCE, AccountKind.SHOP, AccountKind.MERCHANT, AccountKind.EXPIRED)
WATERMARK = "ledger"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 1000


def _flow_of(account_kind: str, amount: int) -> tuple[int, int, int]:
    """(issued, spent, expired) for a sum of postings on one kind of account."""
    if account_kind == AccountKind.ISSUANCE:
        return -amount, 0, 0
    if account_kind in (AccountKind.SHOP, AccountKind.MERCHANT):
        return 0, amount, 0
    return 0, 0, amount


def month_case(column, timezone: str, first: Month, last: Month):
    """A SQL expression naming the community-local month of ``column`` for instants from
    ``first`` to ``last`` (portable: plain comparisons, no time-zone functions)."""
    months = months_between(first, last)
    whens = [(column < month.end(timezone), month.key) for month in months[:-1]]
    if not whens:  # one month: still a CASE, so the expression has a type
        whens = [(column < last.end(timezone), last.key)]
    return case(*whens, else_=months[-1].key)


def _flows_query(community_ids, timezone, first: Month, last: Month, start=None, end=None):
    """Sums of postings on the flow accounts per community, local month, account kind and the
    member's account kind. The month is computed in a subquery and grouped on outside:
    PostgreSQL does not match a GROUP BY expression whose parameters are bound separately."""
    inner = (
        select(LedgerPosting.community_id.label("community_id"),
               month_case(LedgerPosting.created_at, timezone, first, last).label("month"),
               LedgerAccount.kind.label("account_kind"),
               Member.account_kind.label("member_kind"),
               LedgerPosting.amount.label("amount"))
        .join(LedgerAccount, and_(LedgerAccount.community_id == LedgerPosting.community_id,
                                  LedgerAccount.id == LedgerPosting.account_id))
        .join(LedgerTransaction, and_(LedgerTransaction.community_id == LedgerPosting.community_id,
                                      LedgerTransaction.id == LedgerPosting.transaction_id))
        .outerjoin(Member, and_(Member.community_id == LedgerTransaction.community_id,
                                Member.id == LedgerTransaction.member_id))
        .where(LedgerPosting.community_id.in_(list(community_ids)),
               LedgerAccount.kind.in_(FLOW_ACCOUNTS))
    )
    if start is not None:
        inner = inner.where(LedgerPosting.created_at >= start)
    if end is not None:
        inner = inner.where(LedgerPosting.created_at < end)
    sub = inner.subquery()
    return (
        select(sub.c.community_id, sub.c.month, sub.c.account_kind, sub.c.member_kind,
               func.sum(sub.c.amount))
        .group_by(sub.c.community_id, sub.c.month, sub.c.account_kind, sub.c.member_kind)
    )


def _first_posting(community_ids) -> dict:
    rows = db.session.execute(
        select(LedgerPosting.community_id, func.min(LedgerPosting.created_at))
        .where(LedgerPosting.community_id.in_(list(community_ids)))
        .group_by(LedgerPosting.community_id)
    ).all()
    return {cid: at for cid, at in rows if at is not None}


def _watermarks(community_ids) -> dict:
    rows = db.session.execute(
        select(FigureWatermark.community_id, FigureWatermark.rolled_to)
        .where(FigureWatermark.community_id.in_(list(community_ids)),
               FigureWatermark.name == WATERMARK)
    ).all()
    return dict(rows)


# --- reading ---------------------------------------------------------------------------------


def monthly_flows(communities, now: datetime) -> dict:
    """``{community_id: {"YYYY-MM": {account kind: [issued, spent, expired]}}}`` over all
    time: the roll-up plus the live tail. Small (communities x months x 4 kinds)."""
    ids = [c.id for c in communities]
    out = {cid: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])) for cid in ids}
    with all_communities():
        for cid, month, kind, issued, spent, expired in db.session.execute(
            select(KindMonth.community_id, KindMonth.month, KindMonth.account_kind,
                   KindMonth.issued, KindMonth.spent, KindMonth.expired)
            .where(KindMonth.community_id.in_(ids))
        ):
            cell = out[cid][month][kind]
            cell[0] += issued
            cell[1] += spent
            cell[2] += expired
        for timezone, start, group in _tail_groups(communities):
            first = Month.of(start, timezone)
            last = Month.of(now, timezone).next()  # postings stamped a moment into next month
            query = _flows_query([c.id for c in group], timezone, first, last, start=start)
            for cid, month, account_kind, member_kind, amount in db.session.execute(query):
                cell = out[cid][month][_kind_key(member_kind)]
                for i, value in enumerate(_flow_of(account_kind, int(amount or 0))):
                    cell[i] += value
    return out


def _tail_groups(communities):
    """Communities grouped by time zone and watermark, with where their tail starts: one
    query per group, its lower bound a constant the postings' (account, created_at) index can
    use. Communities are rolled up in the same run, so a district is usually one group. A
    community never rolled up starts at its first posting (or has no tail at all)."""
    ids = [c.id for c in communities]
    marks = _watermarks(ids)
    missing = [cid for cid in ids if cid not in marks]
    starts = {**_first_posting(missing), **marks} if missing else dict(marks)
    groups = defaultdict(list)
    for community in communities:
        if community.id in starts:
            groups[(community.timezone, starts[community.id])].append(community)
    return [(timezone, start, group) for (timezone, start), group in groups.items()]


def _kind_key(member_kind) -> str:
    return getattr(member_kind, "value", member_kind) or ""


def _by_timezone(communities) -> dict:
    groups = defaultdict(list)
    for community in communities:
        groups[community.timezone].append(community)
    return groups


def active_members(communities, since: datetime, until: datetime) -> dict:
    """How many members of each community earned points in [since, until), live from the
    ledger (for months not frozen in ``MonthSnapshot``)."""
    ids = [c.id for c in communities]
    with all_communities():
        rows = db.session.execute(
            _earners(ids).where(LedgerPosting.created_at >= since, LedgerPosting.created_at < until)
            .with_only_columns(LedgerPosting.community_id,
                               func.count(func.distinct(LedgerTransaction.member_id)))
            .group_by(LedgerPosting.community_id)
        ).all()
    return {cid: int(n) for cid, n in rows}


def _earners(ids):
    """Issuance postings that credited a member (an award, not an award's reversal)."""
    return (
        select(LedgerTransaction.member_id)
        .select_from(LedgerPosting)
        .join(LedgerAccount, and_(LedgerAccount.community_id == LedgerPosting.community_id,
                                  LedgerAccount.id == LedgerPosting.account_id))
        .join(LedgerTransaction, and_(LedgerTransaction.community_id == LedgerPosting.community_id,
                                      LedgerTransaction.id == LedgerPosting.transaction_id))
        .where(LedgerPosting.community_id.in_(list(ids)), LedgerAccount.kind == AccountKind.ISSUANCE,
               LedgerPosting.amount < 0, LedgerTransaction.member_id.is_not(None))
    )


def active_now(communities, now: datetime) -> dict:
    """Members who earned points in the 90 days before ``now``.

    From the last roll-up's count (``CurrentCounts``), less those whose last earning has
    since slipped out of the 90 days, plus members who earned in the live tail and were not
    counted; a community never counted is counted from its ``MemberActivity`` rows."""
    ids = [c.id for c in communities]
    cutoff = now - ACTIVE_WINDOW
    with all_communities():
        stored = {row.community_id: row for row in db.session.scalars(
            select(CurrentCounts).where(CurrentCounts.community_id.in_(ids))) if row.taken_at <= now}
        counted = {cid: row.active for cid, row in stored.items()}
        by_since = defaultdict(list)  # one run counts every community with the same instant
        for cid, row in stored.items():
            if cutoff > row.active_since:
                by_since[row.active_since].append(cid)
        for since, group in by_since.items():
            for cid, dropped in db.session.execute(
                select(MemberActivity.community_id, func.count())
                .where(MemberActivity.community_id.in_(group), MemberActivity.last_earned_at >= since,
                       MemberActivity.last_earned_at < cutoff)
                .group_by(MemberActivity.community_id)
            ):
                counted[cid] -= int(dropped)
        rest = [cid for cid in ids if cid not in stored]
        if rest:
            counted.update(db.session.execute(
                select(MemberActivity.community_id, func.count())
                .where(MemberActivity.community_id.in_(rest), MemberActivity.last_earned_at >= cutoff)
                .group_by(MemberActivity.community_id)
            ).all())
        tail = []
        for _timezone, start, group in _tail_groups(communities):
            tail += db.session.execute(
                _earners([c.id for c in group]).add_columns(LedgerPosting.community_id)
                .where(LedgerPosting.created_at >= max(start, cutoff), LedgerPosting.created_at < now)
                .distinct()
            ).all()
        extra = defaultdict(set)
        for member_id, cid in tail:
            extra[cid].add(member_id)
        for cid, members in extra.items():
            members = list(members)
            already = 0
            for i in range(0, len(members), CHUNK):
                already += db.session.scalar(
                    select(func.count()).select_from(MemberActivity).where(
                        MemberActivity.community_id == cid,
                        MemberActivity.member_id.in_(members[i:i + CHUNK]),
                        MemberActivity.last_earned_at >= cutoff,
                    )
                )
            counted[cid] = counted.get(cid, 0) + len(members) - already
    return {cid: int(counted.get(cid, 0)) for cid in ids}


def members_now(communities, now: datetime) -> dict:
    """``{community_id: {kind: n}}`` at ``now``: the last roll-up's counts plus members
    numbered since; communities never counted (or counted after ``now``) are counted live."""
    ids = [c.id for c in communities]
    out = {cid: dict.fromkeys(KINDS, 0) for cid in ids}
    with all_communities():
        stored = {row.community_id: row for row in db.session.scalars(
            select(CurrentCounts).where(CurrentCounts.community_id.in_(ids)))
            if row.taken_at <= now}
        for cid, row in stored.items():
            out[cid] = {"red": row.members_red, "blue": row.members_blue, "green": row.members_green}
        if stored:
            newer = or_(*[and_(Member.community_id == cid, Member.number > row.max_number)
                          for cid, row in stored.items()])
            for cid, kind, count in db.session.execute(
                select(Member.community_id, Member.account_kind, func.count())
                .where(newer, Member.active.is_(True), Member.role != Role.ADMIN, Member.created_at < now)
                .group_by(Member.community_id, Member.account_kind)
            ):
                out[cid][_kind_key(kind)] += int(count)
    rest = [c for c in communities if c.id not in stored]
    if rest:
        out.update(members_at(rest, {c.id: now for c in rest}))
    return out


def snapshots_all(communities) -> dict:
    """``{community_id: {"YYYY-MM": MonthSnapshot}}`` for every month frozen so far."""
    out = defaultdict(dict)
    with all_communities():
        for row in db.session.scalars(select(MonthSnapshot).where(
                MonthSnapshot.community_id.in_([c.id for c in communities]))):
            out[row.community_id][row.month] = row
    return out


KINDS = ("red", "blue", "green")


def members_at(communities, until: dict) -> dict:
    """``{community_id: {kind: n}}``: active members holding a points account (not admins)
    who joined before ``until[community_id]``; one query per distinct instant."""
    out = {c.id: dict.fromkeys(KINDS, 0) for c in communities}
    groups = defaultdict(list)
    for community in communities:
        groups[until[community.id]].append(community.id)
    with all_communities():
        for instant, ids in groups.items():
            rows = db.session.execute(
                select(Member.community_id, Member.account_kind, func.count())
                .where(Member.community_id.in_(ids), Member.active.is_(True), Member.role != Role.ADMIN,
                       Member.created_at < instant)
                .group_by(Member.community_id, Member.account_kind)
            ).all()
            for cid, kind, count in rows:
                out[cid][_kind_key(kind)] = int(count)
    return out


# --- folding (the Celery task) ----------------------------------------------------------------


def roll_up(now: datetime | None = None, community_ids=None) -> int:
    """Fold postings older than ``now - LAG`` into the roll-up, community by community, each in
    its own transaction under a lock on its watermark (two runs never fold the same postings).
    Then freeze the active-volunteer count of each finished month. Returns communities done."""
    now = now or datetime.now(UTC)
    until = now - LAG
    with all_communities():
        query = select(Community)
        if community_ids is not None:
            query = query.where(Community.id.in_(list(community_ids)))
        communities = list(db.session.scalars(query.order_by(Community.id)))
        done = 0
        for community in communities:
            done += _roll_up_one(community, until)
        _refresh_counts(communities, until)
        for community in communities:
            _freeze_months(community, until)
        return done


def _refresh_counts(communities, until: datetime) -> None:
    """Count members by kind and active volunteers of every community in two grouped
    queries, for reads to start from (see ``members_now`` and ``active_now``)."""
    from sqlalchemy.exc import IntegrityError

    ids = [c.id for c in communities]
    if not ids:
        return
    since = until - ACTIVE_WINDOW
    try:
        with atomic():
            kinds = defaultdict(lambda: dict.fromkeys(KINDS, 0))
            for cid, kind, count in db.session.execute(
                select(Member.community_id, Member.account_kind, func.count())
                .where(Member.community_id.in_(ids), Member.active.is_(True), Member.role != Role.ADMIN)
                .group_by(Member.community_id, Member.account_kind)
            ):
                kinds[cid][_kind_key(kind)] = int(count)
            numbers = dict(db.session.execute(
                select(Member.community_id, func.max(Member.number))
                .where(Member.community_id.in_(ids)).group_by(Member.community_id)).all())
            active = dict(db.session.execute(
                select(MemberActivity.community_id, func.count())
                .where(MemberActivity.community_id.in_(ids), MemberActivity.last_earned_at >= since)
                .group_by(MemberActivity.community_id)).all())
            existing = {row.community_id: row for row in db.session.scalars(
                select(CurrentCounts).where(CurrentCounts.community_id.in_(ids)))}
            now = datetime.now(UTC)
            for cid in ids:
                row = existing.get(cid)
                if row is None:
                    row = CurrentCounts(community_id=cid)
                    db.session.add(row)
                row.taken_at, row.active_since, row.active = now, since, int(active.get(cid, 0))
                row.max_number = int(numbers.get(cid) or 0)
                row.members_red, row.members_blue, row.members_green = (
                    kinds[cid]["red"], kinds[cid]["blue"], kinds[cid]["green"])
    except IntegrityError:  # another run inserted the same rows first: theirs are as good
        pass


def _lock_watermark(community) -> FigureWatermark:
    query = (select(FigureWatermark)
             .where(FigureWatermark.community_id == community.id, FigureWatermark.name == WATERMARK)
             .with_for_update().execution_options(populate_existing=True))
    mark = db.session.scalar(query)
    if mark is None:
        # The first run for this community: create the row (the unique key settles a race).
        db.session.execute(insert(FigureWatermark).values(
            community_id=community.id, id=_new_id(), name=WATERMARK,
            rolled_to=EPOCH, created_at=datetime.now(UTC)))
        mark = db.session.scalar(query)
    return mark


def _roll_up_one(community, until: datetime) -> int:
    from sqlalchemy.exc import IntegrityError

    try:
        with atomic():
            mark = _lock_watermark(community)
            start = mark.rolled_to
            if start >= until:
                return 0
            if start <= EPOCH:  # the first run: start at the first posting (one full scan, once)
                start = _first_posting([community.id]).get(community.id) or until
            if start < until:
                _fold_flows(community, start, until)
                _fold_activity(community, start, until)
            mark.rolled_to = until
    except IntegrityError:  # another run created the watermark first: it does this round
        return 0
    return 1


def _fold_flows(community, start, until) -> None:
    tz = community.timezone
    query = _flows_query([community.id], tz, Month.of(start, tz), Month.of(until, tz),
                         start=start, end=until)
    sums = defaultdict(lambda: [0, 0, 0])
    for _cid, month, account_kind, member_kind, amount in db.session.execute(query):
        cell = sums[(month, _kind_key(member_kind))]
        for i, value in enumerate(_flow_of(account_kind, int(amount or 0))):
            cell[i] += value
    if not sums:
        return
    existing = {
        (row.month, row.account_kind): row
        for row in db.session.scalars(select(KindMonth).where(
            KindMonth.community_id == community.id,
            KindMonth.month.in_(sorted({m for m, _k in sums}))))
    }
    for (month, kind), (issued, spent, expired) in sums.items():
        row = existing.get((month, kind))
        if row is None:
            db.session.add(KindMonth(community_id=community.id, month=month, account_kind=kind,
                                     issued=issued, spent=spent, expired=expired))
        else:
            row.issued += issued
            row.spent += spent
            row.expired += expired
    db.session.flush()


def _fold_activity(community, start, until) -> None:
    latest = dict(db.session.execute(
        _earners([community.id])
        .where(LedgerPosting.created_at >= start, LedgerPosting.created_at < until)
        .with_only_columns(LedgerTransaction.member_id, func.max(LedgerPosting.created_at))
        .group_by(LedgerTransaction.member_id)
    ).all())
    if not latest:
        return
    members = list(latest)
    known = {}
    for i in range(0, len(members), CHUNK):
        known.update(db.session.execute(
            select(MemberActivity.member_id, MemberActivity.id).where(
                MemberActivity.community_id == community.id,
                MemberActivity.member_id.in_(members[i:i + CHUNK]))
        ).all())
    now = datetime.now(UTC)
    new_rows = [
        {"community_id": community.id, "id": _new_id(), "member_id": member_id,
         "last_earned_at": at, "created_at": now}
        for member_id, at in latest.items() if member_id not in known
    ]
    for i in range(0, len(new_rows), CHUNK):
        db.session.execute(insert(MemberActivity), new_rows[i:i + CHUNK])
    # Postings are folded in time order, so a later fold's latest date is the newer one.
    changed = [
        {"community_id": community.id, "id": known[member_id], "last_earned_at": at}
        for member_id, at in latest.items() if member_id in known
    ]
    for i in range(0, len(changed), CHUNK):
        db.session.execute(update(MemberActivity), changed[i:i + CHUNK])


def _freeze_months(community, until: datetime) -> None:
    """Freeze every month that ended before ``until`` and has no snapshot yet (from the first
    month the roll-up has), with its members by kind and its active volunteers."""
    tz = community.timezone
    first = db.session.scalar(select(func.min(KindMonth.month)).where(KindMonth.community_id == community.id))
    if first is None:  # nothing rolled up yet: no month to freeze
        return
    last_done = Month.of(until, tz).previous()
    months = months_between(Month.parse(first), last_done)
    if not months:
        return
    stored = set(db.session.scalars(
        select(MonthSnapshot.month).where(MonthSnapshot.community_id == community.id)))
    todo = [m for m in months if m.key not in stored]
    if not todo:
        return
    with atomic():
        for month in todo:
            end = month.end(tz)
            active = active_members([community], end - ACTIVE_WINDOW, end).get(community.id, 0)
            members = members_at([community], {community.id: end})[community.id]
            db.session.add(MonthSnapshot(community_id=community.id, month=month.key, active=active,
                                         members_red=members["red"], members_blue=members["blue"],
                                         members_green=members["green"]))


def _new_id():
    from core.ids import new_id

    return new_id()

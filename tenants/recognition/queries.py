"""Leaderboards, medals and stars, read in the community's scope."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.figures.months import Month
from core.identity.models import Member, Role
from tenants.recognition import config as rules
from tenants.recognition import metrics
from tenants.recognition.models import RecognitionPreference, RecognitionSettings

# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter", "year"
    year: int
    number: int = 1  # the month or the quarter

    @classmethod
    def parse(cls, text) -> "Period | None":
        if not isinstance(text, str):
            return None
        if m := re.fullmatch(r"(\d{4})", text):
            return cls("year", int(m.group(1)))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            return cls("quarter", int(m.group(1)), int(m.group(2)))
        month = Month.parse(text)
        if month is not None:
            return cls("month", month.year, month.month)
        return None

    @classmethod
    def current(cls, kind, timezone, now=None) -> "Period":
        month = Month.current(timezone, now)
        if kind == "year":
            return cls("year", month.year)
        if kind == "quarter":
            return cls("quarter", month.year, month.quarter())
        return cls("month", month.year, month.month)

    def __str__(self) -> str:
        if self.kind == "year":
            return f"{self.year:04d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}-{self.number:02d}"

    def months(self) -> tuple[Month, Month]:
        if self.kind == "year":
            return Month(self.year, 1), Month(self.year, 12)
        if self.kind == "quarter":
            return Month(self.year, 3 * self.number - 2), Month(self.year, 3 * self.number)
        return Month(self.year, self.number), Month(self.year, self.number)

    def bounds(self, timezone) -> tuple[datetime, datetime]:
        first, last = self.months()
        return first.start(timezone), last.end(timezone)

    def previous(self) -> "Period":
        if self.kind == "year":
            return Period("year", self.year - 1)
        if self.kind == "quarter":
            return Period("quarter", self.year - (self.number == 1), 4 if self.number == 1 else self.number - 1)
        month = Month(self.year, self.number).previous()
        return Period("month", month.year, month.month)

    def next(self) -> "Period":
        if self.kind == "year":
            return Period("year", self.year + 1)
        if self.kind == "quarter":
            return Period("quarter", self.year + (self.number == 4), 1 if self.number == 4 else self.number + 1)
        month = Month(self.year, self.number).next()
        return Period("month", month.year, month.month)


# --- names ---------------------------------------------------------------------------------------


def mask(name: str) -> str:
    """王秀英 -> 王**; a one-character name stays one masked character."""
    name = (name or "").strip()
    if not name:
        return "*"
    return name[0] + "*" * max(1, len(name) - 1)


def hidden_members(community_id) -> set:
    return set(db.session.scalars(select(RecognitionPreference.member_id).where(
        RecognitionPreference.community_id == community_id, RecognitionPreference.hide_name.is_(True))))


def shown_name(member, hidden: set) -> str:
    if member.id in hidden:
        return f"{_('Resident')} {mask(member.name)}"
    return member.name


def preference(member) -> RecognitionPreference | None:
    return db.session.scalar(select(RecognitionPreference).where(
        RecognitionPreference.community_id == member.community_id,
        RecognitionPreference.member_id == member.id))


# --- settings ------------------------------------------------------------------------------------


def settings_row(district_id) -> RecognitionSettings | None:
    return db.session.scalar(select(RecognitionSettings).where(RecognitionSettings.district_id == district_id))


def config_of(district_id) -> dict:
    row = settings_row(district_id)
    return rules.effective(row.config if row else None)


# --- leaderboards ----------------------------------------------------------------------------------


@dataclass
class Entry:
    rank: int
    member: Member
    name: str
    points: int


@dataclass
class Board:
    key: str
    label: str
    entries: list = field(default_factory=list)


def _members(community_id, ids) -> dict:
    ids = list(ids)
    out = {}
    for i in range(0, len(ids), 500):
        out.update({m.id: m for m in db.session.scalars(select(Member).where(
            Member.community_id == community_id, Member.id.in_(ids[i:i + 500])))})
    return out


def _ranked(items, limit) -> list:
    """Competition ranking (1, 2, 2, 4) by points, then by name for a stable order."""
    items = sorted(items, key=lambda e: (-e[1], e[0].name, e[0].number))
    out, rank, previous = [], 0, None
    for position, (member, points, name) in enumerate(items, start=1):
        if points != previous:
            rank, previous = position, points
        out.append(Entry(rank, member, name, points))
    return out[:limit]


def leaderboards(community, period: Period, by: str = "all", limit: int = 20) -> list[Board]:
    start, end = period.bounds(community.timezone)
    earned = {mid: pts for mid, pts in metrics.points_earned(community, start, end).items() if pts > 0}
    members = _members(community.id, earned)
    hidden = hidden_members(community.id)
    items = [(members[mid], pts, shown_name(members[mid], hidden)) for mid, pts in earned.items()
             if mid in members and members[mid].active]
    grouping = metrics.groupings().get(by)
    if grouping is None:
        return [Board("all", _("Everyone"), _ranked(items, limit))]
    groups = grouping.groups(community)
    boards = {}
    for member, pts, name in items:
        key, label = groups.get(member.id, ("", _("Not assigned")))
        boards.setdefault(key, Board(key, label)).entries.append((member, pts, name))
    out = []
    for board in sorted(boards.values(), key=lambda b: (b.key == "", b.label)):
        board.entries = _ranked(board.entries, limit)
        out.append(board)
    return out


# --- medals and stars ------------------------------------------------------------------------------


@dataclass
class Assessed:
    member: Member
    name: str
    values: dict
    tier: str | None = None
    stars: int | None = None


def grid_workers(community, period: Period, config: dict) -> list[Assessed]:
    start, end = period.bounds(community.timezone)
    end = min(end, datetime.now(UTC)) if start < datetime.now(UTC) else end
    staff = list(db.session.scalars(select(Member).where(
        Member.community_id == community.id, Member.role == Role.GRID_WORKER, Member.active.is_(True)
    ).order_by(Member.name)))
    available = metrics.staff_metrics()
    values = {name: metric.compute(community, start, end) for name, metric in available.items()}
    out = []
    for member in staff:
        mine = {name: values[name].get(member.id) for name in available}
        tier = rules.tier_for(mine, config["tiers"], set(available))
        out.append(Assessed(member, member.name, mine, tier=tier))
    order = {"gold": 0, "silver": 1, "bronze": 2, None: 3}
    return sorted(out, key=lambda a: (order[a.tier], a.name))


def resident_stars(community, period: Period, config: dict, *, members=None) -> list[Assessed]:
    start, end = period.bounds(community.timezone)
    query = select(Member).where(Member.community_id == community.id, Member.role == Role.RESIDENT,
                                 Member.active.is_(True)).order_by(Member.number)
    residents = list(db.session.scalars(query)) if members is None else members
    available = metrics.resident_metrics()
    values = {name: metric.compute(community, start, end) for name, metric in available.items()}
    hidden = hidden_members(community.id)
    out = []
    for member in residents:
        mine = {name: values[name].get(member.id, 0) for name in available}
        out.append(Assessed(member, shown_name(member, hidden), mine,
                            stars=rules.stars_for(mine, config["stars"], set(available))))
    return out

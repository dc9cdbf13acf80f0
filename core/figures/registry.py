"""Named figures per community and month, each computed by the capability that owns its data.

Core owns members and the ledger; the rest (vouchers owed to merchants, work orders, ratings,
hazards) lives in tenants and merchants, which core may not import. So each capability
registers its providers from its ``init_app``::

    register_figure(Figure("vouchers_redeemed", _l("Vouchers redeemed"), "count",
                           section="merchants", compute=vouchers_redeemed))

``compute(request)`` answers ``{community_id: value}`` for every community of the request (a
missing community means 0 or "not known" as the figure's kind says). It runs inside
``all_communities()`` and must filter by ``request.ids`` itself: a district's figures are one
query over its communities, never a loop of per-community requests.

Breakdowns are small tables a capability adds to the dashboards (money owed per merchant):
``register_breakdown(Breakdown(...))`` with ``compute(request) -> list[dict]`` whose rows carry
``community_id``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.figures.months import Month

SECTIONS = ("members", "points", "merchants", "workorders", "other")


@dataclass
class FigureRequest:
    communities: list  # Community rows, all of one district (or one community)
    month: Month
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    cache: dict = field(default_factory=dict)
    # The earliest month the caller will ask with this request's cache (a 12-month series):
    # providers may load every month from here in one query.
    earliest: Month | None = None

    @property
    def ids(self) -> list:
        return [c.id for c in self.communities]

    def bounds(self, community) -> tuple[datetime, datetime]:
        return self.month.bounds(community.timezone)

    def until(self, community) -> datetime:
        """Where the month's figures stand: its end, or now for the month in progress."""
        return min(self.month.end(community.timezone), self.now)

    def is_current(self, community) -> bool:
        start, end = self.bounds(community)
        return start <= self.now < end

    def is_future(self, community) -> bool:
        return self.bounds(community)[0] > self.now

    def memo(self, key, compute: Callable):
        """Share one query between figures computed from the same rows."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def for_month(self, month: Month) -> "FigureRequest":
        """The same communities in another month, sharing this request's cache."""
        return FigureRequest(self.communities, month, self.now, self.cache, self.earliest)

    @property
    def first_month(self) -> Month:
        return min(self.earliest or self.month, self.month)


@dataclass(frozen=True)
class Figure:
    name: str
    label: object  # a lazy string
    unit: str  # "count", "points", "money", "percent" (a Ratio), "rating" (a Ratio), "hours"
    compute: Callable
    section: str = "other"
    order: int = 50
    # Shown month over month (the last 12 months): only figures cheap to compute per month.
    series: bool = False
    description: object = None
    # Whether a smaller value is the better one (overdue orders): charts say so in words.
    lower_is_better: bool = False


@dataclass(frozen=True)
class Breakdown:
    name: str
    label: object
    columns: tuple  # ((key, label, unit), ...)
    compute: Callable  # request -> list[dict] with "community_id" and the column keys
    order: int = 50


_figures: dict[str, Figure] = {}
_breakdowns: dict[str, Breakdown] = {}


def register_figure(figure: Figure) -> Figure:
    """Idempotent by name: tests build several apps in one process."""
    _figures[figure.name] = figure
    return figure


def register_breakdown(breakdown: Breakdown) -> Breakdown:
    _breakdowns[breakdown.name] = breakdown
    return breakdown


def figures(section: str | None = None) -> list[Figure]:
    found = [f for f in _figures.values() if section is None or f.section == section]
    return sorted(found, key=lambda f: (SECTIONS.index(f.section) if f.section in SECTIONS else 99,
                                        f.order, f.name))


def figure(name: str) -> Figure | None:
    return _figures.get(name)


def breakdowns() -> list[Breakdown]:
    return sorted(_breakdowns.values(), key=lambda b: (b.order, b.name))


def compute(request: FigureRequest, names=None) -> dict[str, dict]:
    """``{figure name: {community_id: value}}`` for the registered figures (or ``names``).

    Reads across the request's communities (``all_communities``, filtered by their ids): the
    caller has already checked that the user may see every one of them."""
    from core.tenancy.context import all_communities

    chosen = [f for f in figures() if names is None or f.name in names]
    out = {}
    with all_communities():
        for fig in chosen:
            values = fig.compute(request) or {}
            out[fig.name] = {cid: values.get(cid) for cid in request.ids}
    return out

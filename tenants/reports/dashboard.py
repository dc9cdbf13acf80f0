"""What a dashboard shows: every registered figure for a set of communities and a month, the
district's totals, twelve months of the figures kept month over month, and the breakdowns.

The same function feeds the pages, their spreadsheets and the API, so they cannot disagree.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import format_currency, format_decimal, format_percent
from flask_babel import gettext as _

from core.figures import registry
from core.figures.months import Month
from core.figures.registry import Breakdown, Figure, FigureRequest
from core.figures.values import Money, Ratio, plain, total

SERIES_MONTHS = 12


@dataclass
class Dashboard:
    month: Month
    communities: list
    figures: list  # [Figure]
    values: dict  # name -> {community_id: value}
    totals: dict  # name -> value
    months: list = field(default_factory=list)  # the series' months, oldest first
    series: dict = field(default_factory=dict)  # name -> [total per month]
    series_by_community: dict = field(default_factory=dict)  # name -> {cid: [value per month]}
    breakdowns: list = field(default_factory=list)  # [(Breakdown, rows)]
    previous: dict = field(default_factory=dict)  # name -> total of the month before

    def value(self, name, community_id):
        return self.values.get(name, {}).get(community_id)

    def figure(self, name) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)

    def sections(self) -> list[str]:
        seen = []
        for fig in self.figures:
            if fig.section not in seen:
                seen.append(fig.section)
        return seen


def default_month(communities, now=None) -> Month:
    timezone = communities[0].timezone if communities else "Asia/Shanghai"
    return Month.current(timezone, now)


def build(communities, month: Month, *, now=None, series=True, breakdowns=True) -> Dashboard:
    """Every figure of ``communities`` (whose access the caller has checked), read across
    them in one ``all_communities()`` scope filtered by their ids."""
    from core.tenancy.context import all_communities

    with all_communities():
        return _build(communities, month, now=now, series=series, breakdowns=breakdowns)


def _build(communities, month: Month, *, now=None, series=True, breakdowns=True) -> Dashboard:
    now = now or datetime.now(UTC)
    months = [month.shift(-i) for i in range(SERIES_MONTHS - 1, -1, -1)] if series else [month]
    request = FigureRequest(list(communities), month, now, earliest=months[0])
    figures = registry.figures()
    values = registry.compute(request)
    board = Dashboard(month, list(communities), figures, values,
                      {name: total(v.values()) for name, v in values.items()}, months)
    if series:
        wanted = [f.name for f in figures if f.series]
        per_month = {m: registry.compute(request.for_month(m), wanted) if m != month else values
                     for m in months}
        for name in wanted:
            board.series[name] = [total(per_month[m][name].values()) for m in months]
            board.series_by_community[name] = {
                c.id: [per_month[m][name].get(c.id) for m in months] for c in communities}
    if series:
        before = registry.compute(request.for_month(month.previous()))
        board.previous = {name: total(values.values()) for name, values in before.items()}
    if breakdowns:
        board.breakdowns = [(b, b.compute(request) or []) for b in registry.breakdowns()]
    return board


# --- how values read --------------------------------------------------------------------------


def display(value, unit: str) -> str:
    """A value as people read it, in the current language; "—" when not known."""
    if value is None:
        return "—"
    if isinstance(value, Money):
        return format_currency(value.amount, value.currency)
    if isinstance(value, Ratio):
        number = value.value
        if number is None:
            return "—"
        if unit == "percent":
            return format_percent(number, "#,##0.0%")
        return format_decimal(round(number, 2), "#,##0.00")
    if unit == "percent":
        return format_percent(value, "#,##0.0%")
    if isinstance(value, float):
        return format_decimal(round(value, 2), "#,##0.##")
    return format_decimal(value)


def number(value):
    """The value for sorting, charts and spreadsheets (None stays None)."""
    result = plain(value)
    return float(result) if result is not None and not isinstance(result, int) else result


def sort_key(value):
    n = number(value)
    return (n is None, n if n is not None else 0)


def section_label(section: str) -> str:
    return {
        "members": _("Members and participation"),
        "points": _("Points"),
        "merchants": _("Merchants"),
        "workorders": _("Work orders"),
        "other": _("Other"),
    }.get(section, section)


def unit_hint(figure: Figure) -> str:
    return {"points": _("points"), "count": "", "money": "", "percent": "", "rating": _("out of 5"),
            "hours": _("hours")}.get(figure.unit, "")


__all__ = ["Breakdown", "Dashboard", "build", "display", "number"]

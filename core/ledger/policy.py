"""When earned points expire, per community (``community.settings["points_expiry"]``):

- ``{"policy": "never"}`` (the default);
- ``{"policy": "months", "months": N}``: N months after earning;
- ``{"policy": "year_end"}``: at the end of the calendar year after the one they were earned in.

Dates are the community's: "end of the year" is midnight of 1 January in its time zone.

Which points expire is decided by one rule, "points are used soonest-expiring first": what has
expired by a date is what was earned with an expiry up to that date, less everything that has
been used so far (see ``core.ledger.queries.expirable_points``).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

POLICIES = ("never", "months", "year_end")

# Wallet credits of these kinds give back points already held (a refund, a reversed spend):
# they start no expiry clock of their own; they undo a use of points instead.
NON_EARNING_KINDS = frozenset({"refund", "reversal"})


def expiry_for(community, earned_at: datetime) -> datetime | None:
    setting = (community.settings or {}).get("points_expiry") or {}
    policy = setting.get("policy", "never")
    local = earned_at.astimezone(ZoneInfo(community.timezone))
    if policy == "months":
        months = int(setting.get("months", 12))
        total = local.month - 1 + months
        year, month = local.year + total // 12, total % 12 + 1
        day = min(local.day, _days_in_month(year, month))
        return local.replace(year=year, month=month, day=day).astimezone(UTC)
    if policy == "year_end":
        return datetime(local.year + 2, 1, 1, tzinfo=ZoneInfo(community.timezone)).astimezone(UTC)
    return None


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]

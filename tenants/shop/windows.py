"""Redemption windows: is the shop open, when does it next open, what counts as "one
window" for a per-member limit. Pure functions of the windows, the community's time zone
and a moment, so they are tested without a database.

- No windows configured: always open (API.md). A per-member limit then counts per calendar
  month in the community's time zone.
- Weekly windows: every given weekday between two local times of day.
- Dated windows: from one instant to another (a redemption fortnight twice a year).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tenants.shop.models import WindowKind


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, UTC
    end: datetime
    window_id: object = None

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _weekly_on(window, day: date, zone: ZoneInfo) -> Period:
    start = datetime.combine(day, window.opens, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, window.closes, tzinfo=zone).astimezone(UTC)
    return Period(start, end, window.id)


def periods(windows, tz: str, around: datetime, days_ahead: int = 8) -> list[Period]:
    """Every occurrence of the windows from the day before ``around`` to ``days_ahead``
    days after it (dated windows: all of them), sorted by start."""
    zone = ZoneInfo(tz)
    today = around.astimezone(zone).date()
    found = []
    for window in windows:
        if window.kind == WindowKind.DATED:
            found.append(Period(window.starts_at, window.ends_at, window.id))
            continue
        for offset in range(-1, days_ahead + 1):
            day = today + timedelta(days=offset)
            if day.weekday() == window.weekday:
                found.append(_weekly_on(window, day, zone))
    return sorted(found, key=lambda p: (p.start, p.end))


def current_period(windows, tz: str, now: datetime) -> Period | None:
    """The open window occurrence containing ``now`` (the one closing last, if several)."""
    open_now = [p for p in periods(windows, tz, now) if p.contains(now)]
    return max(open_now, key=lambda p: p.end) if open_now else None


def is_open(windows, tz: str, now: datetime) -> bool:
    return not windows or current_period(windows, tz, now) is not None


def next_opening(windows, tz: str, now: datetime) -> datetime | None:
    """When the shop next opens after ``now`` (None: always open, or no window ahead)."""
    if not windows:
        return None
    starts = [p.start for p in periods(windows, tz, now) if p.start > now]
    return min(starts) if starts else None


def limit_period(windows, tz: str, now: datetime) -> Period:
    """The span a per-member limit counts over at ``now``."""
    period = current_period(windows, tz, now) if windows else None
    if period is not None:
        return period
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first.astimezone(UTC), following.astimezone(UTC))

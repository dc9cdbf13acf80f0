"""Calendar months in a community's own time zone ("2025-05" starts at midnight, 1 May, local).

Every monthly figure counts what happened in [start, end) of the community's local month, so
a district with communities in two time zones still cuts each month where its people do.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text) -> "Month | None":
        """``"2025-05"`` -> Month(2025, 5); anything else (incl. year 0) -> None."""
        if not isinstance(text, str):
            return None
        match = MONTH_RE.match(text)
        if not match or int(match.group(1)) < 1:
            return None
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, instant: datetime, timezone: str) -> "Month":
        local = instant.astimezone(ZoneInfo(timezone))
        return cls(local.year, local.month)

    @classmethod
    def current(cls, timezone: str, now: datetime | None = None) -> "Month":
        return cls.of(now or datetime.now(UTC), timezone)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def key(self) -> str:
        return str(self)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def shift(self, months: int) -> "Month":
        total = self.year * 12 + (self.month - 1) + months
        return Month(total // 12, total % 12 + 1)

    def start(self, timezone: str) -> datetime:
        """Midnight of the 1st, local, as a UTC instant."""
        return _start(self.year, self.month, timezone)

    def end(self, timezone: str) -> datetime:
        return self.next().start(timezone)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        return self.start(timezone), self.end(timezone)

    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1


@lru_cache(maxsize=4096)
def _start(year: int, month: int, timezone: str) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included (empty if first > last)."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = month.next()
    return out

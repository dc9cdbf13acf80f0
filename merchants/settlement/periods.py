"""Months, and the lock that keeps a redemption out of a month already closed.

The race it closes: a voucher redeemed at 23:59:59 on the 31st whose transaction commits a
moment after the month was closed would carry the closed month and be on no statement, ever.
So closing a community's month and redeeming into it take the same lock, per community and
month: on PostgreSQL a transaction-level advisory lock (shared for redemptions, which do not
block each other; exclusive for the close); on SQLite every writing transaction already holds
the database's write lock from its first statement (``BEGIN IMMEDIATE``), which serialises the
two just the same. Under the lock a redemption reads ``settlement_closed_months``:

- the month is open: the voucher counts in it, and the close, which waits for the lock, sees
  the committed voucher;
- the month is closed (the close committed first): the voucher counts in the next open month.
  Its ``redeemed_at`` stays the true moment; the statement line shows both. We chose this over
  refusing the redemption because the resident is standing at the till: the merchant is still
  paid, one month later, and nothing is lost or counted twice.

An advisory lock rather than a row lock on a "month" row: redemptions are the hot path, and
many transactions share-locking one row makes PostgreSQL write a MultiXact into it each time;
an advisory lock lives in memory only.
"""

import functools
import hashlib
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Uuid, bindparam, func, select

from core.driver_sql import DriverStatement
from core.extensions import db

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value) -> str | None:
    """``"2025-03"`` -> itself; anything else (``"2025-3"``, ``"2025-13"``, 202503) -> None."""
    if not isinstance(value, str) or not MONTH.match(value) or value < "2000-01":
        return None
    return value


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def month_of(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def month_start(month: str, timezone: str) -> datetime:
    """The first instant of ``month`` in the community's time zone (aware)."""
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=ZoneInfo(timezone))


def month_over(month: str, timezone: str, now: datetime) -> bool:
    """Has ``month`` ended in this time zone at ``now``?"""
    return now >= month_start(next_month(month), timezone)


def lock_key(community_id, month: str) -> int:
    """A signed 64-bit key for the advisory lock of one community's month (a hash: a
    collision only makes two unrelated months wait for each other, never mixes them)."""
    digest = hashlib.blake2b(f"settlement:{community_id}:{month}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Built once, run on the session's connection: every redemption runs both.
_LOCK = {
    True: DriverStatement(select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)))),
    False: DriverStatement(select(func.pg_advisory_xact_lock_shared(bindparam("key", type_=BigInteger)))),
}


def lock_month(community_id, month: str, *, exclusive: bool) -> None:
    """Take the month's lock until the end of the current transaction (PostgreSQL)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the transaction already holds the write lock
    _LOCK[exclusive].run({"key": lock_key(community_id, month)})


@functools.cache
def _closed_month():
    from merchants.settlement.models import ClosedMonth

    months = ClosedMonth.__table__  # a global table: no tenant filter to miss
    return DriverStatement(select(months.c.id).where(months.c.community_id == bindparam("community", type_=Uuid),
                                                     months.c.month == bindparam("month")))


def is_closed(community_id, month: str) -> bool:
    return _closed_month().run({"community": community_id, "month": month}).first() is not None


def open_month_for_redemption(community_id, month: str) -> str:
    """The month a redemption made now counts in: ``month`` unless it is closed, else the next
    open one. Holds each month's shared lock to the end of the redemption's transaction."""
    for _ in range(1200):  # a hundred years of closed months would be a bug, not a loop
        lock_month(community_id, month, exclusive=False)
        if not is_closed(community_id, month):
            return month
        month = next_month(month)
    raise RuntimeError("no open settlement month")


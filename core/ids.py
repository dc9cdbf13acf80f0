"""Primary keys made by the application.

Tenant tables carry ``(community_id, id)`` as their primary key. SQLite cannot autoincrement
a column of a composite key, and distributing by community (Citus) wants ids that need no
central sequence, so ids are time-ordered UUIDs (the layout of UUIDv7): 48 bits of
milliseconds then random bits. Time order keeps B-tree inserts at the right edge.
"""

import os
import threading
import time
import uuid

_SEQUENCE_BITS = 74  # the 12 + 62 bits of a UUIDv7 after its timestamp, version and variant
_last = (0, 0)  # (milliseconds, sequence) of the newest id this process made
_lock = threading.Lock()


def _next(count: int) -> list[tuple[int, int]]:
    """``count`` (milliseconds, sequence) pairs, each greater than the one before, in this
    process: within one millisecond the sequence counts up from where it was (RFC 9562's
    monotonic random), so ids made one after another sort in the order they were made (the
    inbox lists "newest first" by id). A new millisecond starts at a random sequence with its
    top bit clear, leaving 2^73 steps before it could run into the next millisecond."""
    global _last
    fresh = int.from_bytes(os.urandom(10), "big") & ((1 << (_SEQUENCE_BITS - 1)) - 1)
    with _lock:
        millis, sequence = time.time_ns() // 1_000_000 & ((1 << 48) - 1), fresh
        if millis <= _last[0]:  # the same millisecond, or the clock went back
            millis, sequence = _last[0], _last[1] + 1
        pairs = [(millis, sequence + i) for i in range(count)]
        _last = pairs[-1]
    return pairs


def _uuid7(millis: int, sequence: int) -> uuid.UUID:
    # version 7 in bits 76-79, RFC 4122 variant in bits 62-63, the sequence around them
    value = (millis << 80 | 0x7 << 76 | (sequence >> 62 & 0xFFF) << 64
             | 0x2 << 62 | sequence & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def new_id() -> uuid.UUID:
    (millis, sequence), = _next(1)
    return _uuid7(millis, sequence)


def parse_id(value) -> uuid.UUID | None:
    """An id from a URL or a body, or None when it is not one (callers answer 404/422)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` ids like ``new_id``'s, in one step (batch inserts)."""
    return [_uuid7(millis, sequence) for millis, sequence in _next(count)] if count else []

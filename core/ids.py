"""Primary keys made by the application.

Tenant tables carry ``(community_id, id)`` as their primary key. SQLite cannot autoincrement
a column of a composite key, and distributing by community (Citus) wants ids that need no
central sequence, so ids are time-ordered UUIDs (the layout of UUIDv7): 48 bits of
milliseconds then random bits. Time order keeps B-tree inserts at the right edge.
"""

import os
import time
import uuid


def new_id() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    # version 7 in bits 76-79, RFC 4122 variant in bits 62-63
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


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
    """``count`` ids like ``new_id``'s, with one call for the random bits (batch inserts)."""
    millis = time.time_ns() // 1_000_000 & ((1 << 48) - 1)
    random = os.urandom(10 * count)
    result = []
    for i in range(count):
        rand = int.from_bytes(random[10 * i:10 * i + 10], "big")
        value = millis << 80 | rand
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        result.append(uuid.UUID(int=value))
    return result

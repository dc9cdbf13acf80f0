"""The 6-digit door code: shown only on the staff's screen at the door, it changes every
minute, so a resident can type it to check in or out only while standing there.

code = HMAC-SHA256(activity secret, "<activity id>:<minute>") reduced to 6 digits (the
dynamic truncation of RFC 4226), where minute = Unix time // 60. The current minute's code
and the previous one's are accepted, so a code read at 10:00:59 still works at 10:01:20.
Wrong codes are throttled per member (``code_throttle``): guessing a 1-in-500,000 code
with a few tries per ten minutes is hopeless.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from core.throttle import FailureThrottle
from core.types import utcnow

DIGITS = 6
code_throttle = FailureThrottle("activity-code", "10/10 minutes")


def new_secret() -> str:
    return secrets.token_hex(32)


def _minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def code_at(activity, minute: int) -> str:
    mac = hmac.new(bytes.fromhex(activity.code_secret), f"{activity.id}:{minute}".encode(),
                   hashlib.sha256).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10 ** DIGITS).zfill(DIGITS)


def current_code(activity, at: datetime | None = None) -> tuple[str, int]:
    """(the code to show now, seconds until it changes)."""
    at = at or utcnow()
    return code_at(activity, _minute(at)), 60 - int(at.timestamp()) % 60


def normalise(text) -> str | None:
    if not isinstance(text, str):
        return None
    digits = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def code_matches(activity, text, at: datetime | None = None) -> bool:
    code = normalise(text)
    if code is None:
        return False
    minute = _minute(at or utcnow())
    return any(hmac.compare_digest(code, code_at(activity, m)) for m in (minute, minute - 1))

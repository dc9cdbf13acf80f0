"""Pickup codes: 8 characters from an alphabet without look-alikes (no 0/O/Q/D, 1/I/L, 2/Z,
5/S, 8/B), from ``secrets``: 23^8, about 7.8e10 codes per community, shown as ``ABCD EFGH``."""

import re
import secrets

PICKUP_ALPHABET = "ACEFGHJKMNPRTUVWXY34679"
PICKUP_LENGTH = 8
_VALID = re.compile(f"^[{PICKUP_ALPHABET}]{{{PICKUP_LENGTH}}}$")


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_LENGTH))


def normalise_pickup_code(text) -> str | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = re.sub(r"[\s\-_.·]", "", text).upper()
    return code if _VALID.match(code) else None


def grouped(code: str) -> str:
    return f"{code[:4]} {code[4:]}"

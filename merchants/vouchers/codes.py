"""Voucher codes people can read aloud and type at a till.

- 80 random bits from ``secrets`` as 16 symbols of Crockford's base32 (digits and capitals
  without I, L, O, U, so no 1/I/L or 0/O mix-ups), then one check symbol;
- the check symbol is Luhn mod 32 over the same alphabet: it catches every single mistyped
  symbol and almost every swap of neighbours, so most typos are answered at once without a
  database lookup;
- shown grouped: ``7KQ3-M9TV-2HXC-R4PW-D``; typed any way (lower case, spaces, O for 0,
  I or L for 1): ``normalise`` reads it back;
- the database keeps a SHA-256 of the normalised code in a global unique index; 80 random
  bits cannot be found by hashing guesses, so the digest gives nothing away.
"""

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
N = len(ALPHABET)  # 32
PAYLOAD = 16  # 16 symbols x 5 bits = 80 bits
LENGTH = PAYLOAD + 1
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
# What people type for what they see (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _luhn_sum(symbols: str, double_first: bool) -> int:
    total, factor = 0, 2 if double_first else 1
    for char in reversed(symbols):
        addend = factor * _INDEX[char]
        total += addend // N + addend % N
        factor = 1 if factor == 2 else 2
    return total


def check_symbol(payload: str) -> str:
    return ALPHABET[(N - _luhn_sum(payload, double_first=True) % N) % N]


def new_code() -> str:
    """A fresh normalised code: 16 random symbols and the check symbol."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD))
    return payload + check_symbol(payload)


def normalise(text) -> str | None:
    """The code as stored, or None when ``text`` cannot be a valid code."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\u00a0\u3000_.")
    cleaned = cleaned.translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or any(ch not in _INDEX for ch in cleaned):
        return None
    if _luhn_sum(cleaned, double_first=False) % N != 0:
        return None
    return cleaned


def grouped(code: str) -> str:
    """``7KQ3M9TV2HXCR4PWD`` -> ``7KQ3-M9TV-2HXC-R4PW-D``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def tail(code: str) -> str:
    """The last group and the check symbol, for lists that must not show whole codes."""
    return grouped(code)[-6:]

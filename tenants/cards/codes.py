"""The code on a resident card: ``<member number>-<10 signature characters>``.

Why a keyed signature and not a random token stored hashed: the sheet of cards must be
printable again (a new resident joins, a printer jams) without voiding everyone's card, so
the code is derived, never stored; and it must be short enough to type from the card when
there is no camera. The signature is an HMAC-SHA256 under a key derived from the app's
SECRET_KEY by itsdangerous (salted for this one purpose), over the community, the member and
the card's epoch; 10 characters of a 32-symbol alphabet keep 50 bits of it, and failed
look-ups are throttled, so a code cannot be guessed from the member number. Bumping the
epoch (a lost card) voids every code printed before.
"""

import hmac
import re

from flask import current_app
from itsdangerous import Signer

# No 0/O, 1/I: read aloud and typed from a printed card without confusion.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAC_LENGTH = 10
_CODE = re.compile(r"^([0-9]{1,9})([2-9A-HJ-NP-Z]{10})$")


def _signature(community_id, member_id, epoch: int) -> str:
    signer = Signer(current_app.config["SECRET_KEY"], salt="linli.resident-card",
                    digest_method=_sha256())
    message = f"{community_id}|{member_id}|{epoch}".encode()
    digest = signer.algorithm.get_signature(signer.derive_key(), message)
    value = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(MAC_LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(chars)


def _sha256():
    import hashlib

    return hashlib.sha256


def card_code(member, epoch: int) -> str:
    """The machine form, also what the QR code holds: ``12-ABCDE23456``."""
    return f"{member.number}-{_signature(member.community_id, member.id, epoch)}"


def display_code(code: str) -> str:
    """Grouped for reading aloud and typing: ``12 - ABCDE 23456``."""
    number, _sep, mac = code.partition("-")
    return f"{number} - {mac[:5]} {mac[5:]}"


def parse_code(text) -> tuple[int, str] | None:
    """(member number, signature) from what was typed or scanned, or None if it cannot be
    a card code. Spaces, dashes and case are forgiven; O/I typed for 0/1 are not letters
    of the alphabet, so they simply fail."""
    if not isinstance(text, str) or len(text) > 60:
        return None
    cleaned = re.sub(r"[\s\-_.·]", "", text).upper()
    match = _CODE.match(cleaned)
    if not match:
        return None
    return int(match.group(1)), match.group(2)


def signature_matches(member, epoch: int, signature: str) -> bool:
    expected = _signature(member.community_id, member.id, epoch)
    return hmac.compare_digest(expected, signature)

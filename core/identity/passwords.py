import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.green import off_loop

# Tests create many users: LINLI_FAST_PASSWORD_HASH=1 makes hashing cheap there only.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("LINLI_FAST_PASSWORD_HASH") == "1"
    else PasswordHasher()
)
# Verified against when the login names nobody, so a wrong user costs the same time as a
# wrong password and the two cannot be told apart.
_DUMMY_HASH = _hasher.hash("linli-no-such-user")


# argon2 takes tens of milliseconds of CPU (on purpose) and releases the GIL: off_loop keeps a
# gevent worker's other requests moving meanwhile.
def hash_password(password: str) -> str:
    return off_loop(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return off_loop(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

"""Password hashing with argon2id.

Parameters are OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): about a
twentieth of a second a hash here, so sign-in stays quick while a stolen hash stays costly to
crack. Hashes made with other parameters still verify and are re-hashed on the next sign-in.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from governance.errors import AtsparkError

MIN_LENGTH = 12
MAX_LENGTH = 1024

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("a password no account has")
"""Verified against when the account does not exist, so it answers in the same time."""


def check_strength(password: str) -> None:
    """Refuse a password too short or too long to accept (no other composition rules, as NIST
    SP 800-63B advises)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise AtsparkError(f"a password must have between {MIN_LENGTH} and {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash, spends the same time and says no."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)

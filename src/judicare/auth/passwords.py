"""Password hashing (argon2id, argon2-cffi) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_STANDARD = PasswordHasher()  # argon2id with the library's recommended parameters
# For test runs only: still argon2id, with parameters small enough for hundreds of users.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hasher = _STANDARD


def use_fast_hashing_for_tests(enabled: bool) -> None:
    """Switch to cheap argon2id parameters; the app factory does this only when
    settings.environment is "test"."""
    global _hasher
    _hasher = _FAST if enabled else _STANDARD


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(24))


def verify_or_waste(password_hash: str | None, password: str) -> bool:
    """Check a password, or, for an unknown user (no hash), check it against a hash of a
    random secret with the same parameters and answer False: a name that does not exist
    takes as long to refuse as a wrong password, so timing does not reveal which names
    exist (OWASP authentication cheat sheet)."""
    if password_hash is None:
        verify_password(_dummy_hash(_hasher), password)
        return False
    return verify_password(password_hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return "jc_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

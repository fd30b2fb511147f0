"""Password hashing with argon2id. Hashes and passwords are never returned or logged."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from vbwd.settings import get_settings

_lock = threading.Lock()
_hasher: PasswordHasher | None = None
_dummy_hash: str | None = None


def _get_hasher() -> PasswordHasher:
    """The hasher, and the throwaway hash an unknown e-mail is checked against -- made together, so that
    the first login of a container costs the same whether or not the e-mail exists."""
    global _hasher, _dummy_hash
    if _hasher is None:
        with _lock:
            if _hasher is None:
                settings = get_settings()
                hasher = PasswordHasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                    type=Type.ID,
                )
                _dummy_hash = hasher.hash("vbwd-timing-equaliser")
                _hasher = hasher
    return _hasher


def reset() -> None:
    global _hasher, _dummy_hash
    _hasher = None
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _get_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _get_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown e-mail takes as long as a wrong password."""
    _get_hasher()
    verify_password(_dummy_hash or "", password)

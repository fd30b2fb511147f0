"""Service API keys: ``vbwd_sk_...`` bearer keys for server-side callers (role ``service``).
The key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from vbwd.domain import clock
from vbwd.domain.enums import Role
from vbwd.domain.ids import new_id
from vbwd.domain.users import ApiKey, Principal
from vbwd.store import users as store

KEY_PREFIX = "vbwd_sk_"
CACHE_SECONDS = 60.0  # a revoked key stops working within this (plus the authorizer cache TTL)

_cache: dict[str, tuple[float, Principal | None]] = {}
_cache_lock = threading.Lock()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(name: str, created_by: str) -> tuple[ApiKey, str]:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(),
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 6],
        created_at=clock.iso(clock.now()),
        created_by=created_by,
    )
    store.create_api_key(key, _hash(secret))
    return key, secret


def list_keys(limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
    return store.list_api_keys(limit, cursor)


def revoke(key_id: str) -> ApiKey:
    return store.revoke_api_key(key_id, clock.iso(clock.now()))


def principal_for(secret: str) -> Principal | None:
    """The service principal of an active key, or None. Lookups are cached per container."""
    digest = _hash(secret)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    key = store.get_api_key_by_hash(digest)
    principal = Principal(subject=key.id, role=Role.SERVICE) if key is not None and key.is_active else None
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = (now + CACHE_SECONDS, principal)
    return principal


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()

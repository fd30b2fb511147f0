"""Registration, login and refresh-token rotation.

argon2 and PyJWT are imported where they are used, so that logout (and refresh, for argon2) do not pay
for them at cold start."""

from __future__ import annotations

import hashlib
import secrets
import time

from vbwd.domain import clock
from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.errors import Forbidden, InvalidCredentials, TransactionCancelled, Unauthenticated, Unavailable
from vbwd.domain.ids import new_id
from vbwd.domain.users import RefreshToken, TokenPair, User, normalize_email
from vbwd.settings import get_settings
from vbwd.store import users as store

INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh(user_id: str, family_id: str) -> tuple[str, RefreshToken]:
    token = secrets.token_urlsafe(32)
    expires = int(time.time()) + get_settings().refresh_token_ttl_seconds
    return token, RefreshToken(
        token_hash=_hash_token(token), user_id=user_id, family_id=family_id, status="active", expires_at=expires
    )


def _pair(user: User, refresh_token: str) -> TokenPair:
    from vbwd.services import access_tokens

    access, ttl = access_tokens.issue(user.id, user.role)
    return TokenPair(user=user, access_token=access, refresh_token=refresh_token, expires_in=ttl)


def new_user(email: str, password: str, role: Role = Role.USER) -> User:
    from vbwd.services import passwords

    stamp = clock.iso(clock.now())
    return User(
        id=new_id(),
        email=normalize_email(email),
        role=role,
        status=UserStatus.ACTIVE,
        created_at=stamp,
        updated_at=stamp,
        password_hash=passwords.hash_password(password),
    )


def register(email: str, password: str) -> TokenPair:
    """Create a user, its e-mail guard and its first refresh session in one transaction (409 on a
    taken e-mail, in any letter case)."""
    user = new_user(email, password)
    token, session = _new_refresh(user.id, new_id())
    store.create_user(user, session)
    return _pair(user, token)


def login(email: str, password: str) -> TokenPair:
    from vbwd.services import passwords

    user = store.get_user_by_email(normalize_email(email))
    if user is None:
        passwords.burn_time(password)
        raise InvalidCredentials()
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise Forbidden("This account is disabled.", code="account_disabled")
    token, session = _new_refresh(user.id, new_id())
    store.start_session(session)
    return _pair(user, token)


def refresh(refresh_token: str) -> TokenPair:
    """Rotate a refresh token. A token that was already rotated is a replay: its whole family is revoked."""
    current = store.get_session(_hash_token(refresh_token))
    if current is None or current.expires_at <= int(time.time()):
        raise Unauthenticated(INVALID_REFRESH, code="invalid_refresh_token")
    if current.status != "active":
        store.revoke_family(current.family_id)
        raise Unauthenticated(INVALID_REFRESH, code="invalid_refresh_token")
    user = store.get_user(current.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated(INVALID_REFRESH, code="invalid_refresh_token")
    token, successor = _new_refresh(user.id, current.family_id)
    try:
        store.rotate_session(current, successor)
    except TransactionCancelled as exc:
        reason = exc.reasons.get("session")
        if reason is not None and (reason.condition_failed or reason.conflict):
            # Used twice at once: whether DynamoDB says "condition failed" (the other use won) or
            # "transaction conflict" (both in flight), it is a replay -- revoke the family.
            store.revoke_family(current.family_id)
            raise Unauthenticated(INVALID_REFRESH, code="invalid_refresh_token") from exc
        if any(other.condition_failed for other in exc.reasons.values()):
            # the family was revoked or the account disabled meanwhile
            raise Unauthenticated(INVALID_REFRESH, code="invalid_refresh_token") from exc
        # Throttling, or anything else: not the client's doing, and the token was not used up.
        raise Unavailable("Could not refresh the session; retry.") from exc
    return _pair(user, token)


def logout(refresh_token: str) -> None:
    """Revoke the session (the token's family). Unknown tokens are accepted silently: logout is idempotent."""
    current = store.get_session(_hash_token(refresh_token))
    if current is not None:
        store.revoke_family(current.family_id)

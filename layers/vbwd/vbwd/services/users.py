"""User administration and the admin bootstrap."""

from __future__ import annotations

from vbwd.domain import clock
from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.errors import Conflict, Forbidden, NotFound
from vbwd.domain.users import User, normalize_email
from vbwd.store import users as store


def get_user(user_id: str) -> User:
    user = store.get_user(user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


def require_active_admin(user_id: str) -> User:
    """For routes that move money: an access token outlives a disable or a demotion by up to 15 minutes,
    so the account itself is checked (one GetItem)."""
    user = store.get_user(user_id)
    if user is None or not user.is_active or user.role is not Role.ADMIN:
        raise Forbidden("This account may not move money (disabled, or no longer an admin).")
    return user


def list_users(limit: int, cursor: str | None) -> tuple[list[User], str | None]:
    return store.list_users(limit, cursor)


def set_status(user_id: str, status: UserStatus, *, actor: str) -> User:
    """Disable or enable an account -- never one's own (an admin cannot lock themselves out, nor undo
    their own disable with a token that outlived it)."""
    if user_id == actor:
        raise Conflict("You cannot change the status of your own account.", code="own_account")
    return store.update_user(user_id, status=status, updated_at=clock.iso(clock.now()))


def ensure_admin(email: str, password: str) -> tuple[User, bool]:
    """Create an admin, or make an existing account an active admin with this password. Idempotent;
    returns the user and whether it was created."""
    from vbwd.services import auth, passwords  # argon2 and PyJWT only for the bootstrap

    email = normalize_email(email)
    existing = store.get_user_by_email(email)
    if existing is None:
        try:
            user = auth.new_user(email, password, Role.ADMIN)
            store.create_user(user)
            return user, True
        except Conflict:  # created concurrently by another starter
            existing = store.get_user_by_email(email)
            if existing is None:
                raise
    if (
        existing.role is Role.ADMIN
        and existing.is_active
        and passwords.verify_password(existing.password_hash, password)
    ):
        return existing, False
    updated = store.update_user(
        existing.id,
        role=Role.ADMIN,
        status=UserStatus.ACTIVE,
        password_hash=passwords.hash_password(password),
        updated_at=clock.iso(clock.now()),
    )
    return updated, False

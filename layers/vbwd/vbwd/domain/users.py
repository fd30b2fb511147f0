"""Identity entities."""

from __future__ import annotations

from dataclasses import dataclass

from vbwd.domain.enums import Role, UserStatus

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # bounds the work an attacker can ask argon2 to do


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    role: Role
    status: UserStatus
    created_at: str
    updated_at: str
    password_hash: str  # never rendered, never logged

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class RefreshToken:
    token_hash: str
    user_id: str
    family_id: str
    status: str  # active | rotated | revoked
    expires_at: int  # epoch seconds (also the item's TTL)


@dataclass(frozen=True, slots=True)
class TokenPair:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the authorizer established it."""

    subject: str  # user id, or api key id for services
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    prefix: str  # the first characters of the key, to recognise it in lists
    created_at: str
    created_by: str
    revoked_at: str | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

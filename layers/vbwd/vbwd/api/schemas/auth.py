"""Identity requests and responses."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from vbwd.api.schemas.common import NOT_BLANK, Line, Strict, View
from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, TokenPair, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # control characters: refused by ``Line``


class Credentials(Strict):
    email: Line = Field(max_length=254)
    password: Annotated[Line, NOT_BLANK] = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if not _EMAIL.match(value):
            raise ValueError("must be an email address")
        return value


class RegisterRequest(Credentials):
    pass


class LoginRequest(Strict):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserView(View):
    id: str
    email: str
    role: Role
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(id=user.id, email=user.email, role=user.role, created_at=user.created_at)


class AdminUserView(UserView):
    status: UserStatus
    updated_at: str

    @classmethod
    def of(cls, user: User) -> AdminUserView:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            created_at=user.created_at,
            status=user.status,
            updated_at=user.updated_at,
        )


class AuthResponse(View):
    user: UserView
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 -- the scheme name, not a secret
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> AuthResponse:
        return cls(
            user=UserView.of(pair.user),
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class UserPage(View):
    items: list[AdminUserView]
    next_cursor: str | None

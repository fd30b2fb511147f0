"""Access tokens: HS256 JWTs that live 15 minutes. The algorithm is fixed: a token signed any other way
(``alg=none`` included) is refused. PyJWT is imported only by the functions that issue or verify tokens."""

from __future__ import annotations

import time

import jwt

from vbwd.domain.enums import Role
from vbwd.domain.errors import Unauthenticated
from vbwd.domain.ids import new_id
from vbwd.domain.users import Principal
from vbwd.settings import get_settings, jwt_signing_key

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat", "jti"]


def issue(user_id: str, role: Role, *, now: int | None = None) -> tuple[str, int]:
    settings = get_settings()
    issued = int(time.time()) if now is None else now
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": user_id,
        "role": role.value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + ttl,
        "jti": new_id(),
    }
    return jwt.encode(claims, jwt_signing_key(), algorithm=ALGORITHM), ttl


def verify(token: str) -> Principal:
    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            jwt_signing_key(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthenticated("The access token is invalid or expired.", code="invalid_token") from exc
    if role is Role.SERVICE or not isinstance(claims["sub"], str):
        raise Unauthenticated("The access token is invalid or expired.", code="invalid_token")
    return Principal(subject=claims["sub"], role=role)

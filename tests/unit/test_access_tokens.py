"""Token issue and verification: every rejection the authorizer must make."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from vbwd.domain.enums import Role
from vbwd.domain.errors import Unauthenticated
from vbwd.services import access_tokens
from vbwd.settings import get_settings, jwt_signing_key


def _claims(**overrides: object) -> dict[str, object]:
    settings = get_settings()
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "user-1",
        "role": "user",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 900,
        "jti": "j-1",
    }
    claims.update(overrides)
    return claims


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_issued_token_carries_the_required_claims_and_lives_15_minutes() -> None:
    token, ttl = access_tokens.issue("user-42", Role.ADMIN)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert ttl == 900
    assert set(claims) == {"sub", "role", "iss", "aud", "exp", "iat", "jti"}
    assert claims["exp"] - claims["iat"] == 900
    assert claims["sub"] == "user-42"
    assert claims["role"] == "admin"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_verify_returns_the_principal() -> None:
    token, _ = access_tokens.issue("user-42", Role.USER)
    principal = access_tokens.verify(token)
    assert principal.subject == "user-42"
    assert principal.role is Role.USER


def test_jti_is_unique_per_token() -> None:
    first, _ = access_tokens.issue("u", Role.USER)
    second, _ = access_tokens.issue("u", Role.USER)
    assert (
        jwt.decode(first, options={"verify_signature": False})["jti"]
        != jwt.decode(second, options={"verify_signature": False})["jti"]
    )


def _rejected(token: str) -> None:
    with pytest.raises(Unauthenticated):
        access_tokens.verify(token)


def test_alg_none_is_rejected() -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    _rejected(token)


def test_another_hmac_algorithm_with_the_right_key_is_rejected() -> None:
    _rejected(jwt.encode(_claims(), jwt_signing_key(), algorithm="HS512"))


def test_an_asymmetric_algorithm_is_rejected() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _rejected(jwt.encode(_claims(), key, algorithm="RS256"))


def test_a_bad_signature_is_rejected() -> None:
    _rejected(jwt.encode(_claims(), "some-other-key-of-sufficient-length-000000", algorithm="HS256"))


def test_edited_claims_are_rejected() -> None:
    token, _ = access_tokens.issue("user-1", Role.USER)
    header, _, signature = token.split(".")
    forged = f"{header}.{_b64(_claims(role='admin'))}.{signature}"
    _rejected(forged)


def test_an_expired_token_is_rejected() -> None:
    token, _ = access_tokens.issue("user-1", Role.USER, now=int(time.time()) - 901)
    _rejected(token)


def test_a_wrong_issuer_is_rejected() -> None:
    _rejected(jwt.encode(_claims(iss="someone-else"), jwt_signing_key(), algorithm="HS256"))


def test_a_wrong_audience_is_rejected() -> None:
    _rejected(jwt.encode(_claims(aud="another-api"), jwt_signing_key(), algorithm="HS256"))


@pytest.mark.parametrize("missing", ["sub", "role", "iss", "aud", "exp", "iat", "jti"])
def test_a_missing_claim_is_rejected(missing: str) -> None:
    claims = _claims()
    del claims[missing]
    _rejected(jwt.encode(claims, jwt_signing_key(), algorithm="HS256"))


def test_an_unknown_or_service_role_in_a_jwt_is_rejected() -> None:
    _rejected(jwt.encode(_claims(role="root"), jwt_signing_key(), algorithm="HS256"))
    _rejected(jwt.encode(_claims(role="service"), jwt_signing_key(), algorithm="HS256"))


def test_garbage_is_rejected() -> None:
    _rejected("not.a.token")
    _rejected("")

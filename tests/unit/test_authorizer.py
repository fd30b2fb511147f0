"""The authorizer function: 401 (raise "Unauthorized"), 403 (isAuthorized false), or the principal."""

from __future__ import annotations

import importlib.util
from typing import Any

import jwt
import pytest

from local import ROOT
from vbwd.domain.enums import Role, UserStatus
from vbwd.domain.users import User
from vbwd.services import access_tokens, authorization
from vbwd.settings import jwt_signing_key
from vbwd.store import users as users_store


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("authorizer_app", ROOT / "functions/authorizer/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


handler = _load()


@pytest.fixture(autouse=True)
def accounts(monkeypatch: pytest.MonkeyPatch) -> dict[str, User]:
    """The authorizer reads the account behind a token (no network here: an in-memory table)."""
    table = {
        "user-1": _user("user-1", Role.ADMIN, UserStatus.ACTIVE),
        "disabled-1": _user("disabled-1", Role.USER, UserStatus.DISABLED),
        "demoted-1": _user("demoted-1", Role.USER, UserStatus.ACTIVE),
    }
    monkeypatch.setattr(users_store, "get_user", table.get)
    return table


def _user(user_id: str, role: Role, status: UserStatus) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        role=role,
        status=status,
        created_at="t",
        updated_at="t",
        password_hash="x",
    )


class Context:
    function_name = "authorizer"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id = "req-1"


def _event(route_key: str, authorization_header: str | None) -> dict[str, Any]:
    headers = {"authorization": authorization_header} if authorization_header is not None else {}
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": route_key,
        "headers": headers,
        "rawPath": route_key.split(" ")[1],
        "requestContext": {"http": {"method": route_key.split(" ")[0]}},
    }


def _token(role: Role) -> str:
    return access_tokens.issue("user-1", role)[0]


def test_a_user_token_is_allowed_on_user_routes_with_its_context() -> None:
    result = handler(_event("GET /api/v1/user/profile", f"Bearer {_token(Role.USER)}"), Context())
    assert result == {"isAuthorized": True, "context": {"user_id": "user-1", "role": "user"}}


def test_a_user_on_an_admin_route_is_denied_403() -> None:
    result = handler(_event("GET /api/v1/admin/users", f"Bearer {_token(Role.USER)}"), Context())
    assert result == {"isAuthorized": False}


def test_an_admin_may_use_admin_and_user_routes() -> None:
    for route in ("GET /api/v1/admin/users", "GET /api/v1/user/profile"):
        assert handler(_event(route, f"Bearer {_token(Role.ADMIN)}"), Context())["isAuthorized"] is True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer "
        + jwt.encode({"sub": "u", "role": "admin"}, "wrong-key-xxxxxxxxxxxxxxxxxxxxxxxxxx", algorithm="HS256"),
    ],
)
def test_a_missing_or_bad_credential_raises_unauthorized(header: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(_event("GET /api/v1/user/profile", header), Context())


def test_an_expired_token_raises_unauthorized() -> None:
    token = access_tokens.issue("user-1", Role.ADMIN, now=1_000_000)[0]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(_event("GET /api/v1/admin/users", f"Bearer {token}"), Context())


def test_alg_none_raises_unauthorized() -> None:
    claims = jwt.decode(access_tokens.issue("user-1", Role.ADMIN)[0], options={"verify_signature": False})
    unsigned = jwt.encode(claims, "", algorithm="none")  # every claim right: only the algorithm is wrong
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(_event("GET /api/v1/admin/users", f"Bearer {unsigned}"), Context())
    signed = jwt.encode(claims, jwt_signing_key(), algorithm="HS256")
    assert handler(_event("GET /api/v1/admin/users", f"Bearer {signed}"), Context())["isAuthorized"] is True


def test_a_disabled_account_is_401_even_with_a_valid_token() -> None:
    token = access_tokens.issue("disabled-1", Role.USER)[0]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(_event("GET /api/v1/user/profile", f"Bearer {token}"), Context())


def test_a_demoted_admin_token_no_longer_opens_admin_routes() -> None:
    token = access_tokens.issue("demoted-1", Role.ADMIN)[0]
    assert handler(_event("GET /api/v1/admin/users", f"Bearer {token}"), Context()) == {"isAuthorized": False}
    allowed = handler(_event("GET /api/v1/user/profile", f"Bearer {token}"), Context())
    assert allowed["context"]["role"] == "user"


def test_route_policy() -> None:
    assert authorization.allowed_roles("/api/v1/admin/users") == {Role.ADMIN}
    assert authorization.allowed_roles("/api/v1/service/users/x/tokens/consume") == {Role.SERVICE}
    assert authorization.allowed_roles("/api/v1/user/profile") == {Role.USER, Role.ADMIN}
    assert Role.SERVICE not in authorization.allowed_roles("/api/v1/user/tokens/consume")

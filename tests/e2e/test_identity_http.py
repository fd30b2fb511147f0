"""Identity over HTTP through the local runner: the authorizer allows and denies, 401 versus 403."""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from tests.e2e.conftest import Http


def test_health_needs_no_auth(runner: Http) -> None:
    reply = runner.get("/api/v1/health")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok" and reply.json()["version"]


def test_register_login_profile_walkthrough(runner: Http) -> None:
    email = f"Walk.Through.{uuid.uuid4().hex[:8]}@Example.com"
    registered = runner.post("/api/v1/auth/register", json={"email": email, "password": "password123"})
    assert registered.status_code == 201
    login = runner.post("/api/v1/auth/login", json={"email": email.lower(), "password": "password123"})
    assert login.status_code == 200
    profile = runner.get("/api/v1/user/profile", token=login.json()["access_token"])
    assert profile.status_code == 200
    assert profile.json()["email"] == email.lower()


def test_missing_header_is_401_from_the_gateway(runner: Http) -> None:
    reply = runner.get("/api/v1/user/profile")
    assert reply.status_code == 401


def test_bad_and_forged_tokens_are_401(runner: Http, user: dict[str, Any]) -> None:
    assert runner.get("/api/v1/user/profile", token="not-a-jwt").status_code == 401
    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin"}, "guessed-key-guessed-key-guessed-key!", algorithm="HS256")
    assert runner.get("/api/v1/admin/users", token=forged).status_code == 401
    unsigned = jwt.encode({**claims, "role": "admin"}, "", algorithm="none")
    assert runner.get("/api/v1/admin/users", token=unsigned).status_code == 401


def test_user_on_admin_route_is_403_and_admin_is_allowed(runner: Http, user: dict[str, Any], admin_token: str) -> None:
    assert runner.get("/api/v1/admin/users", token=user["access_token"]).status_code == 403
    # the cached allow for the user's profile route must not leak onto the admin route, nor the reverse
    assert runner.get("/api/v1/user/profile", token=user["access_token"]).status_code == 200
    assert runner.get("/api/v1/admin/users", token=user["access_token"]).status_code == 403
    listed = runner.get("/api/v1/admin/users?limit=5", token=admin_token)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) <= 5


def test_malformed_json_is_400_and_bad_fields_are_422(runner: Http) -> None:
    headers = {"Content-Type": "application/json"}
    malformed = runner.post("/api/v1/auth/register", data="{not json", headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_request"
    invalid = runner.post("/api/v1/auth/register", json={"email": "nope", "password": "Zq9!xY"})
    assert invalid.status_code == 422
    fields = {d["field"] for d in invalid.json()["error"]["details"]}
    assert fields == {"email", "password"}
    assert "Zq9!xY" not in invalid.text  # the submitted password is never echoed


def test_openapi_document_is_served(runner: Http) -> None:
    reply = runner.get("/api/v1/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/auth/register" in document["paths"]


def test_unknown_route_is_404(runner: Http) -> None:
    assert runner.get("/api/v1/nope").status_code == 404

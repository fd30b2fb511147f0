"""Service API keys: stored hashed, resolved by the authorizer, revocable."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.conftest import Client
from vbwd.domain.enums import Role
from vbwd.services import api_keys, authorization
from vbwd.store import users as users_store


def test_keys_are_stored_hashed_and_authorize_service_routes(client: Client, admin: dict[str, Any]) -> None:
    created = client.post("/api/v1/admin/api-keys", {"name": "metering"}, token=admin["access_token"]).json()
    secret = created["key"]
    stored = users_store.get_api_key_by_hash(hashlib.sha256(secret.encode()).hexdigest())
    assert stored is not None and stored.id == created["id"]
    principal = authorization.authorize(f"Bearer {secret}", "POST /api/v1/service/users/{user_id}/tokens/consume")
    assert principal.role is Role.SERVICE and principal.subject == created["id"]


def test_a_revoked_key_stops_working_once_caches_expire(client: Client, admin: dict[str, Any]) -> None:
    created = client.post("/api/v1/admin/api-keys", {"name": "old"}, token=admin["access_token"]).json()
    secret = created["key"]
    assert api_keys.principal_for(secret) is not None
    revoked = client.post(f"/api/v1/admin/api-keys/{created['id']}/revoke", token=admin["access_token"])
    assert revoked.status == 200
    again = client.post(f"/api/v1/admin/api-keys/{created['id']}/revoke", token=admin["access_token"])
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # idempotent
    api_keys.clear_cache()  # the container cache (60 s) has expired
    assert api_keys.principal_for(secret) is None
    unknown = client.post(
        "/api/v1/admin/api-keys/01900000-0000-7000-8000-00000000abcd/revoke", token=admin["access_token"]
    )
    assert unknown.status == 404

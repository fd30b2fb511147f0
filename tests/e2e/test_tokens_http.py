"""Token routes over HTTP: metering, CSV, admin grants and service API keys through the authorizer."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import Http, new_user


def grant(runner: Http, admin_token: str, user_id: str, amount: int) -> None:
    reply = runner.post(
        f"/api/v1/admin/users/{user_id}/tokens",
        token=admin_token,
        json={"amount": amount, "reason": "e2e", "idempotency_key": str(uuid.uuid4())},
    )
    assert reply.status_code == 200, reply.text


def test_user_metering_walkthrough(runner: Http, admin_token: str, user: dict[str, Any]) -> None:
    token = user["access_token"]
    assert runner.get("/api/v1/user/tokens/balance", token=token).json()["balance"] == 0
    grant(runner, admin_token, user["user"]["id"], 10)
    used = runner.post(
        "/api/v1/user/tokens/consume", token=token, json={"amount": 4}, headers={"Idempotency-Key": "e2e-1"}
    )
    assert used.status_code == 200 and used.json()["balance"] == 6
    replay = runner.post(
        "/api/v1/user/tokens/consume", token=token, json={"amount": 4}, headers={"Idempotency-Key": "e2e-1"}
    )
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["balance"] == 6
    headers = {"Content-Type": "application/json", "Idempotency-Key": "e2e-bad"}
    malformed = runner.post("/api/v1/user/tokens/consume", token=token, data="[1,", headers=headers)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_request"
    not_an_object = runner.post("/api/v1/user/tokens/consume", token=token, data="[1]", headers=headers)
    assert not_an_object.status_code == 422  # valid JSON, but not a ConsumeRequest
    short = runner.post("/api/v1/user/tokens/consume", token=token, json={"amount": 7, "idempotency_key": "e2e-2"})
    assert short.status_code == 402 and short.json()["required"] == 7 and short.json()["balance"] == 6
    csv = runner.get("/api/v1/user/tokens/transactions", token=token, headers={"Accept": "text/csv"})
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("id,created_at,transaction_type")
    assert len(csv.text.splitlines()) == 3


def test_token_routes_need_the_right_role(runner: Http, user: dict[str, Any]) -> None:
    assert runner.post("/api/v1/user/tokens/consume", json={"amount": 1, "idempotency_key": "x"}).status_code == 401
    forbidden = runner.post(
        f"/api/v1/admin/users/{user['user']['id']}/tokens",
        token=user["access_token"],
        json={"amount": 1, "reason": "self-service", "idempotency_key": "x"},
    )
    assert forbidden.status_code == 403
    service_route = f"/api/v1/service/users/{user['user']['id']}/tokens/balance"
    assert runner.get(service_route, token=user["access_token"]).status_code == 403


def test_service_api_keys(runner: Http, admin_token: str) -> None:
    created = runner.post("/api/v1/admin/api-keys", token=admin_token, json={"name": "backend"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("vbwd_sk_") and created.json()["prefix"] == key[:14]
    listed = runner.get("/api/v1/admin/api-keys", token=admin_token).json()
    assert any(item["id"] == created.json()["id"] for item in listed["items"])
    assert key not in str(listed)  # the secret is shown once

    customer = new_user(runner)
    user_id = customer["user"]["id"]
    grant(runner, admin_token, user_id, 50)
    base = f"/api/v1/service/users/{user_id}/tokens"
    malformed = runner.post(f"{base}/consume", token=key, data="{nope", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_request"
    unknown = runner.post(f"{base}/consume", token=key, json={"amount": 1, "idempotency_key": "svc-0", "tip": 1})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "tip"
    assert runner.get(f"{base}/balance", token=key).json()["balance"] == 50  # neither moved a token
    used = runner.post(f"{base}/consume", token=key, json={"amount": 20, "idempotency_key": "svc-1"})
    assert used.status_code == 200 and used.json()["balance"] == 30
    refunded = runner.post(
        f"{base}/refund", token=key, json={"transaction_id": used.json()["transaction"]["id"], "amount": 5}
    )
    assert refunded.status_code == 200 and refunded.json()["balance"] == 35
    assert runner.get(f"{base}/balance", token=key).json()["balance"] == 35
    assert runner.get(f"{base}/balance", token="vbwd_sk_not-a-real-key").status_code == 401
    # a user the service names must exist: not "balance 0" or "insufficient tokens"
    stranger = f"/api/v1/service/users/{uuid.uuid4()}/tokens"
    assert runner.get(f"{stranger}/balance", token=key).status_code == 404
    assert (
        runner.post(f"{stranger}/consume", token=key, json={"amount": 1, "idempotency_key": "svc-x"}).status_code == 404
    )
    newcomer = new_user(runner)["user"]["id"]  # exists, never credited: an empty wallet, not a 404
    assert runner.get(f"/api/v1/service/users/{newcomer}/tokens/balance", token=key).json()["balance"] == 0
    broke = runner.post(
        f"/api/v1/service/users/{newcomer}/tokens/consume", token=key, json={"amount": 1, "idempotency_key": "svc-y"}
    )
    assert broke.status_code == 402
    # a service key is for service routes only
    assert runner.get("/api/v1/user/tokens/balance", token=key).status_code == 403
    assert runner.get("/api/v1/admin/api-keys", token=key).status_code == 403
    revoked = runner.post(f"/api/v1/admin/api-keys/{created.json()['id']}/revoke", token=admin_token)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]

"""Helpers for billing tests: a catalog made through the admin API, checkouts, captures."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Client


def _create(client: Client, admin: dict[str, Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(f"/api/v1/admin/{path}", body, token=admin["access_token"])
    assert reply.status == 201, reply.body
    return dict(reply.json())


def make_plan(
    client: Client,
    admin: dict[str, Any],
    *,
    price: str = "9.00",
    tokens: int = 1000,
    period: str = "monthly",
    name: str | None = None,
) -> dict[str, Any]:
    name = name or f"Plan {uuid.uuid4().hex[:8]}"
    return _create(
        client,
        admin,
        "tarif-plans",
        {
            "name": name,
            "slug": name.lower().replace(" ", "-"),
            "price": price,
            "billing_period": period,
            "included_tokens": tokens,
            "features": ["api"],
            "trial_days": 0,
        },
    )


def make_bundle(client: Client, admin: dict[str, Any], *, price: str = "5.00", tokens: int = 1000) -> dict[str, Any]:
    return _create(
        client,
        admin,
        "token-bundles",
        {"name": f"{tokens} Tokens {uuid.uuid4().hex[:6]}", "token_amount": tokens, "price": price},
    )


def make_addon(client: Client, admin: dict[str, Any], *, price: str = "5.00", period: str = "yearly") -> dict[str, Any]:
    return _create(
        client, admin, "addons", {"name": f"Add-on {uuid.uuid4().hex[:6]}", "price": price, "billing_period": period}
    )


def checkout(
    client: Client,
    user: dict[str, Any],
    *,
    plan: str | None = None,
    bundles: list[str] | None = None,
    addons: list[str] | None = None,
    key: str | None = None,
    expect: int = 201,
) -> Any:
    body: dict[str, Any] = {"token_bundle_ids": bundles or [], "add_on_ids": addons or []}
    if plan:
        body["plan_id"] = plan
    reply = client.post(
        "/api/v1/user/checkout", body, token=user["access_token"], headers={"Idempotency-Key": key} if key else None
    )
    assert reply.status == expect, reply.body
    return reply.json() if expect == 201 else reply


def pay_manually(
    client: Client,
    admin: dict[str, Any],
    invoice: dict[str, Any],
    *,
    reference: str | None = None,
    amount: str | None = None,
    currency: str | None = None,
) -> Any:
    return client.post(
        "/api/v1/webhooks/payment",
        {
            "invoice_id": invoice["id"],
            "payment_reference": reference or f"PAY-{uuid.uuid4().hex[:10]}",
            "amount": amount or invoice["total_amount"],
            "currency": currency or invoice["currency"],
        },
        token=admin["access_token"],
    )


def balance(client: Client, user: dict[str, Any]) -> int:
    return int(client.get("/api/v1/user/tokens/balance", token=user["access_token"]).json()["balance"])


def invoice(client: Client, user: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    reply = client.get(f"/api/v1/user/invoices/{invoice_id}", token=user["access_token"])
    assert reply.status == 200, reply.body
    return dict(reply.json())

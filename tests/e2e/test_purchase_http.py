"""The whole purchase over HTTP, without a Stripe account: checkout, Stripe Checkout (the local fake),
the signed webhook, the credited balance; the local trigger command; and authorization on billing routes."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import requests

from local import ROOT, ddb
from tests.conftest import TEST_ENV
from tests.e2e.conftest import Http


def demo_catalog(runner: Http) -> tuple[dict[str, Any], dict[str, Any]]:
    plans = runner.get("/api/v1/tarif-plans").json()["items"]
    bundles = runner.get("/api/v1/token-bundles").json()["items"]
    bundle = next(b for b in bundles if b["name"] == "1000 Tokens")
    return plans[0], bundle


def test_buy_a_plan_and_tokens_through_stripe_checkout(runner: Http, user: dict[str, Any]) -> None:
    token = user["access_token"]
    plan, bundle = demo_catalog(runner)
    placed = runner.post(
        "/api/v1/user/checkout", token=token, json={"plan_id": plan["id"], "token_bundle_ids": [bundle["id"]]}
    )
    assert placed.status_code == 201
    invoice = placed.json()["invoice"]
    assert invoice["status"] == "pending"
    assert runner.get("/api/v1/user/tokens/balance", token=token).json()["balance"] == 0

    pay = runner.post(f"/api/v1/user/invoices/{invoice['id']}/pay", token=token)
    assert pay.status_code == 200
    checkout_url = pay.json()["checkout_url"]
    assert requests.get(checkout_url, timeout=10).status_code == 200  # the (fake) Stripe page
    assert requests.post(f"{checkout_url}/complete", timeout=30).status_code == 200  # "Pay" -> signed webhook

    paid = runner.get(f"/api/v1/user/invoices/{invoice['id']}", token=token).json()
    assert paid["status"] == "paid" and paid["payment_provider"] == "stripe"
    expected = plan["included_tokens"] + bundle["token_amount"]
    assert runner.get("/api/v1/user/tokens/balance", token=token).json()["balance"] == expected
    subscriptions = runner.get("/api/v1/user/subscriptions", token=token).json()["items"]
    assert subscriptions[0]["status"] == "active"


def test_the_local_stripe_trigger_command(runner: Http, dynamodb: ddb.DynamoDBLocal, user: dict[str, Any]) -> None:
    token = user["access_token"]
    _, bundle = demo_catalog(runner)
    invoice = runner.post("/api/v1/user/checkout", token=token, json={"token_bundle_ids": [bundle["id"]]}).json()[
        "invoice"
    ]
    env = {**os.environ, **TEST_ENV, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "vbwd"), str(ROOT)])}
    command = [
        sys.executable,
        "-m",
        "local.stripe_trigger",
        "--invoice",
        invoice["id"],
        "--api",
        runner.base,
        "--dynamodb-endpoint",
        dynamodb.endpoint,
        "--table-prefix",
        "e2e_",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "checkout.session.completed" in result.stdout and "-> 200" in result.stdout
    assert runner.get(f"/api/v1/user/invoices/{invoice['id']}", token=token).json()["status"] == "paid"
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert '"outcome": "already_paid"' in again.stdout.replace('":"', '": "')  # a new event, the same payment
    assert runner.get("/api/v1/user/tokens/balance", token=token).json()["balance"] == bundle["token_amount"]


def test_billing_routes_need_the_right_caller(runner: Http, user: dict[str, Any], admin_token: str) -> None:
    assert runner.post("/api/v1/user/checkout", json={"token_bundle_ids": []}).status_code == 401
    assert runner.get("/api/v1/admin/invoices", token=user["access_token"]).status_code == 403
    assert runner.get("/api/v1/admin/invoices", token=admin_token).status_code == 200
    capture = {"invoice_id": "01900000-0000-7000-8000-000000000001", "payment_reference": "x", "amount": "1.00"}
    assert runner.post("/api/v1/webhooks/payment", json=capture).status_code == 401
    assert runner.post("/api/v1/webhooks/payment", json=capture, token=user["access_token"]).status_code == 403
    assert runner.post("/api/v1/webhooks/stripe", json={"id": "evt_1", "type": "x"}).status_code == 400
    ran = runner.post("/__local/schedules/ExpireInvoicesFunction")
    assert ran.status_code == 200 and "expired" in ran.json()

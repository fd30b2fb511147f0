"""Checkout and invoices against DynamoDB Local: the seed's scenarios and the issue's guarantees."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Client, register
from tests.ddb_calls import count_ddb_calls
from tests.integration.shop import balance, checkout, invoice, make_addon, make_bundle, make_plan, pay_manually
from vbwd.domain import clock
from vbwd.services import invoices as invoice_service
from vbwd.store import outbox
from vbwd.store.errors import StorageFailure
from vbwd.store.tx import Transaction

CHECKOUT = "/api/v1/user/checkout"


@pytest.fixture
def shop(client: Client, admin: dict[str, Any]) -> dict[str, Any]:
    return {"plan": make_plan(client, admin), "bundle": make_bundle(client, admin), "addon": make_addon(client, admin)}


def test_checkout_needs_auth(client: Client) -> None:
    assert client.post(CHECKOUT, {"token_bundle_ids": []}).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token_bundle_ids": [], "add_on_ids": []},
        {"plan_id": "not-a-uuid"},
        {"token_bundle_ids": ["nope"]},
        {"plan_id": str(uuid.uuid4()), "extra": True},
    ],
)
def test_empty_carts_and_malformed_ids_are_422(client: Client, user: dict[str, Any], body: dict[str, Any]) -> None:
    reply = client.post(CHECKOUT, body, token=user["access_token"])
    assert reply.status == 422
    assert reply.json()["error"]["details"]


def test_unknown_or_inactive_items_are_422_naming_them(
    client: Client, admin: dict[str, Any], user: dict[str, Any], shop: dict[str, Any]
) -> None:
    unknown = str(uuid.uuid4())
    reply = checkout(client, user, plan=unknown, bundles=[shop["bundle"]["id"]], expect=422)
    assert [d["field"] for d in reply.json()["error"]["details"]] == ["plan_id"]
    assert unknown in reply.body.decode()
    off = make_addon(client, admin)
    client.post(f"/api/v1/admin/addons/{off['id']}/deactivate", token=admin["access_token"])
    inactive = checkout(client, user, plan=shop["plan"]["id"], addons=[off["id"]], expect=422)
    assert inactive.json()["error"]["details"][0]["type"] == "inactive"
    wrong_kind = checkout(client, user, bundles=[shop["plan"]["id"]], expect=422)
    assert wrong_kind.json()["error"]["details"][0]["field"] == "token_bundle_ids.0"


def test_everything_is_pending_and_nothing_is_credited(
    client: Client, user: dict[str, Any], shop: dict[str, Any]
) -> None:
    created = checkout(
        client, user, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]], addons=[shop["addon"]["id"]]
    )
    assert created["message"] == "Checkout created. Awaiting payment."
    assert created["next_step"]
    assert created["invoice"]["status"] == "pending"
    assert created["subscription"]["status"] == "pending"
    assert [p["status"] for p in created["token_bundles"]] == ["pending"]
    assert [a["status"] for a in created["add_ons"]] == ["pending"]
    assert created["add_ons"][0]["subscription_id"] == created["subscription"]["id"]
    assert balance(client, user) == 0


def test_the_total_is_the_sum_of_right_line_items(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    created = checkout(
        client, user, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]], addons=[shop["addon"]["id"]]
    )
    inv = created["invoice"]
    lines = inv["line_items"]
    assert [line["type"] for line in lines] == ["subscription", "token_bundle", "add_on"]
    assert [line["unit_price"] for line in lines] == ["9.00", "5.00", "5.00"]
    assert [line["catalog_item_id"] for line in lines] == [
        shop["plan"]["id"],
        shop["bundle"]["id"],
        shop["addon"]["id"],
    ]
    assert [line["item_id"] for line in lines] == [
        created["subscription"]["id"],
        created["token_bundles"][0]["id"],
        created["add_ons"][0]["id"],
    ]
    assert lines[0]["description"] == shop["plan"]["name"]
    assert all(line["quantity"] == 1 and line["total_price"] == line["unit_price"] for line in lines)
    assert inv["subtotal"] == inv["total_amount"] == "19.00"
    assert inv["currency"] == "USD"
    assert inv["invoice_number"].startswith("INV-")
    assert inv["expires_at"] > inv["created_at"]


def test_a_bundle_only_cart(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    created = checkout(client, user, bundles=[shop["bundle"]["id"]])
    assert created["subscription"] is None and created["invoice"]["total_amount"] == "5.00"


def test_an_add_on_without_a_parent_is_422(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    reply = checkout(client, user, addons=[shop["addon"]["id"]], expect=422)
    assert reply.json()["error"]["details"][0]["type"] == "missing_parent"


def test_an_add_on_can_attach_to_an_existing_subscription(
    client: Client, user: dict[str, Any], shop: dict[str, Any]
) -> None:
    first = checkout(client, user, plan=shop["plan"]["id"])
    second = checkout(client, user, addons=[shop["addon"]["id"]])
    assert second["add_ons"][0]["subscription_id"] == first["subscription"]["id"]


def test_an_add_on_twice_in_one_cart_is_422(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    checkout(client, user, plan=shop["plan"]["id"], addons=[shop["addon"]["id"]] * 2, expect=422)


def test_a_repeated_bundle_is_bought_twice(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    created = checkout(client, user, bundles=[shop["bundle"]["id"]] * 2)
    assert len(created["token_bundles"]) == 2
    assert len({p["id"] for p in created["token_bundles"]}) == 2
    assert created["invoice"]["total_amount"] == "10.00"


def test_the_snapshot_survives_a_price_change(
    client: Client, admin: dict[str, Any], user: dict[str, Any], shop: dict[str, Any]
) -> None:
    created = checkout(client, user, bundles=[shop["bundle"]["id"]])
    changed = client.put(
        f"/api/v1/admin/token-bundles/{shop['bundle']['id']}",
        {"price": "7.50", "token_amount": 5},
        token=admin["access_token"],
    )
    assert changed.status == 200
    again = invoice(client, user, created["invoice"]["id"])
    assert again["total_amount"] == "5.00" and again["line_items"][0]["unit_price"] == "5.00"
    pay_manually(client, admin, again)
    assert balance(client, user) == 1000  # the tokens bought, not the new catalog amount


def test_a_checkout_is_two_round_trips(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    with count_ddb_calls() as calls:
        checkout(
            client,
            user,
            plan=shop["plan"]["id"],
            bundles=[shop["bundle"]["id"]] * 2,
            addons=[shop["addon"]["id"]],
            key="round-trips",
        )
    assert calls == ["BatchGetItem", "TransactWriteItems"]
    with count_ddb_calls() as addon_only:  # the parent comes from the same batch read (the billing account)
        checkout(client, user, addons=[shop["addon"]["id"]])
    assert addon_only == ["BatchGetItem", "TransactWriteItems"]


def test_the_idempotency_key_returns_the_same_invoice(
    client: Client, user: dict[str, Any], shop: dict[str, Any]
) -> None:
    first = checkout(client, user, bundles=[shop["bundle"]["id"]], key="same-cart")
    second = client.post(
        CHECKOUT,
        {"token_bundle_ids": [shop["bundle"]["id"]]},
        token=user["access_token"],
        headers={"Idempotency-Key": "same-cart"},
    )
    assert second.status == 201
    assert second.json()["invoice"]["id"] == first["invoice"]["id"]
    assert ("idempotent-replayed", "true") in second.headers
    different = client.post(
        CHECKOUT,
        {"token_bundle_ids": [shop["bundle"]["id"]] * 2},
        token=user["access_token"],
        headers={"Idempotency-Key": "same-cart"},
    )
    assert different.status == 409 and different.json()["error"]["code"] == "idempotency_key_reused"
    listed = client.get("/api/v1/user/invoices", token=user["access_token"]).json()["items"]
    assert [i["id"] for i in listed] == [first["invoice"]["id"]]


def test_twenty_concurrent_checkouts_with_one_key_make_one_invoice(client: Client, shop: dict[str, Any]) -> None:
    buyer = register(client)
    body = {"plan_id": shop["plan"]["id"], "token_bundle_ids": [shop["bundle"]["id"]]}
    with ThreadPoolExecutor(20) as pool:
        replies = list(
            pool.map(
                lambda _: client.post(
                    CHECKOUT, body, token=buyer["access_token"], headers={"Idempotency-Key": "burst"}
                ),
                range(20),
            )
        )
    assert {r.status for r in replies} == {201}
    assert len({r.json()["invoice"]["id"] for r in replies}) == 1
    listed = client.get("/api/v1/user/invoices", token=buyer["access_token"]).json()["items"]
    assert len(listed) == 1
    subscriptions = client.get("/api/v1/user/subscriptions", token=buyer["access_token"]).json()["items"]
    assert len(subscriptions) == 1


def test_domain_events_are_written_with_the_checkout(
    client: Client, user: dict[str, Any], shop: dict[str, Any]
) -> None:
    created = checkout(client, user, plan=shop["plan"]["id"])
    ids = {created["invoice"]["id"], created["subscription"]["id"]}
    events = [e for e in outbox.pending_events(100_000) if e["aggregate_id"] in ids]
    assert sorted(e["type"] for e in events) == ["invoice.created", "subscription.created"]


def test_a_failure_before_the_transaction_writes_nothing(
    client: Client, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = register(client)

    def broken(self: Transaction, client_request_token: str | None = None) -> None:
        raise RuntimeError("injected failure before TransactWriteItems")

    monkeypatch.setattr(Transaction, "commit", broken)
    reply = client.post(
        CHECKOUT,
        {"plan_id": shop["plan"]["id"], "token_bundle_ids": [shop["bundle"]["id"]]},
        token=buyer["access_token"],
    )
    assert reply.status == 500
    monkeypatch.undo()
    assert client.get("/api/v1/user/invoices", token=buyer["access_token"]).json()["items"] == []
    assert client.get("/api/v1/user/subscriptions", token=buyer["access_token"]).json()["items"] == []
    checkout(client, buyer, plan=shop["plan"]["id"])  # and it works again


def test_another_users_invoice_is_404(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    created = checkout(client, user, bundles=[shop["bundle"]["id"]])
    other = register(client)
    path = f"/api/v1/user/invoices/{created['invoice']['id']}"
    assert client.get(path, token=other["access_token"]).status == 404
    assert client.post(f"{path}/cancel", token=other["access_token"]).status == 404
    assert client.get(path, token=user["access_token"]).status == 200


def test_cancel_moves_the_invoice_and_its_items(
    client: Client, admin: dict[str, Any], user: dict[str, Any], shop: dict[str, Any]
) -> None:
    created = checkout(
        client, user, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]], addons=[shop["addon"]["id"]]
    )
    path = f"/api/v1/user/invoices/{created['invoice']['id']}/cancel"
    cancelled = client.post(path, token=user["access_token"])
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(path, token=user["access_token"]).status == 200  # idempotent
    sub = client.get(f"/api/v1/user/subscriptions/{created['subscription']['id']}", token=user["access_token"])
    assert sub.json()["status"] == "cancelled"
    assert client.get("/api/v1/user/addons", token=user["access_token"]).json()["items"][0]["status"] == "cancelled"
    paid = checkout(client, user, bundles=[shop["bundle"]["id"]])
    pay_manually(client, admin, paid["invoice"])
    refused = client.post(f"/api/v1/user/invoices/{paid['invoice']['id']}/cancel", token=user["access_token"])
    assert refused.status == 409 and refused.json()["error"]["code"] == "invoice_paid"


def test_expiry_moves_abandoned_invoices_and_they_can_never_be_paid(
    client: Client, admin: dict[str, Any], user: dict[str, Any], shop: dict[str, Any]
) -> None:
    created = checkout(client, user, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]])
    later = clock.iso(clock.parse_iso(created["invoice"]["expires_at"]) + timedelta(seconds=1))
    result = invoice_service.expire_due(now=later)
    assert result["expired"] >= 1
    expired = invoice(client, user, created["invoice"]["id"])
    assert expired["status"] == "expired" and expired["expired_at"]
    sub = client.get(f"/api/v1/user/subscriptions/{created['subscription']['id']}", token=user["access_token"])
    assert sub.json()["status"] == "expired"
    refused = pay_manually(client, admin, expired)
    assert refused.status == 409 and refused.json()["error"]["code"] == "invoice_expired"
    assert balance(client, user) == 0
    assert invoice_service.expire_due(now=later)["expired"] == 0  # nothing left to expire: idempotent
    assert invoice(client, user, created["invoice"]["id"])["status"] == "expired"


def test_one_invoice_that_cannot_expire_never_stops_the_others(
    client: Client, user: dict[str, Any], shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = [checkout(client, user, bundles=[shop["bundle"]["id"]]) for _ in range(3)]
    later = clock.iso(clock.parse_iso(orders[-1]["invoice"]["expires_at"]) + timedelta(seconds=1))
    broken = orders[0]["invoice"]["id"]
    close = invoice_service._close

    def flaky(invoice: Any, *args: Any, **kwargs: Any) -> None:
        if invoice.id == broken:
            raise StorageFailure("injected")
        close(invoice, *args, **kwargs)

    monkeypatch.setattr(invoice_service, "_close", flaky)
    result = invoice_service.expire_due(now=later)
    assert result["failed"] == 1 and result["expired"] >= 2
    assert [invoice(client, user, o["invoice"]["id"])["status"] for o in orders] == ["pending", "expired", "expired"]
    monkeypatch.setattr(invoice_service, "_close", close)
    assert invoice_service.expire_due(now=later)["expired"] >= 1  # the next run takes it
    assert invoice(client, user, broken)["status"] == "expired"


def test_the_schedule_runs_on_demand_through_the_runner(client: Client) -> None:
    reply = client.api.request("POST", "/__local/schedules/ExpireInvoicesFunction")
    assert reply.status == 200 and set(reply.json()) == {"expired", "skipped", "failed"}


def test_invoice_lists(client: Client, admin: dict[str, Any], shop: dict[str, Any]) -> None:
    buyer = register(client)
    first = checkout(client, buyer, bundles=[shop["bundle"]["id"]])
    second = checkout(client, buyer, bundles=[shop["bundle"]["id"]])
    pay_manually(client, admin, second["invoice"])
    mine = client.get("/api/v1/user/invoices?limit=1", token=buyer["access_token"]).json()
    assert [i["id"] for i in mine["items"]] == [second["invoice"]["id"]]  # newest first
    rest = client.get(f"/api/v1/user/invoices?limit=1&cursor={mine['next_cursor']}", token=buyer["access_token"]).json()
    assert [i["id"] for i in rest["items"]] == [first["invoice"]["id"]] and rest["next_cursor"] is None
    pending = client.get("/api/v1/user/invoices?status=pending", token=buyer["access_token"]).json()["items"]
    assert [i["id"] for i in pending] == [first["invoice"]["id"]]
    token = admin["access_token"]
    by_user = client.get(f"/api/v1/admin/invoices?user_id={buyer['user']['id']}&status=paid", token=token).json()
    assert [i["id"] for i in by_user["items"]] == [second["invoice"]["id"]]
    paid = client.get("/api/v1/admin/invoices?status=paid&limit=100", token=token).json()["items"]
    assert second["invoice"]["id"] in {i["id"] for i in paid} and all(i["status"] == "paid" for i in paid)
    everything = client.get("/api/v1/admin/invoices?limit=2", token=token).json()["items"]
    assert [i["id"] for i in everything] == [second["invoice"]["id"], first["invoice"]["id"]]  # newest first
    one = client.get(f"/api/v1/admin/invoices/{first['invoice']['id']}", token=token)
    assert one.status == 200 and one.json()["user_id"] == buyer["user"]["id"]
    assert client.get("/api/v1/admin/invoices?status=bogus", token=token).status == 422
    assert client.get("/api/v1/admin/invoices", token=buyer["access_token"]).status == 403


def test_a_free_plan_is_captured_at_once(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    free = make_plan(client, admin, price="0.00", tokens=50)
    created = checkout(client, user, plan=free["id"])
    assert created["invoice"]["status"] == "paid" and created["invoice"]["payment_provider"] == "free"
    assert created["subscription"]["status"] == "active"
    assert balance(client, user) == 50

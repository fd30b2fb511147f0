"""Payment capture against DynamoDB Local: manual and Stripe, one transaction, exactly once, amount checked."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from local import stripe_events
from local.fake_stripe import FakeStripe
from local.runner import Reply
from tests.conftest import Client, register
from tests.ddb_calls import count_ddb_calls
from tests.integration.shop import balance, checkout, invoice, make_addon, make_bundle, make_plan, pay_manually
from vbwd.services import signatures
from vbwd.settings import payment_webhook_secret, stripe_webhook_secret
from vbwd.store import billing as billing_store
from vbwd.store import outbox
from vbwd.store import tokens as token_store
from vbwd.store.base import connection

PAYMENT = "/api/v1/webhooks/payment"


@pytest.fixture
def shop(client: Client, admin: dict[str, Any]) -> dict[str, Any]:
    return {
        "plan": make_plan(client, admin, tokens=300),
        "bundle": make_bundle(client, admin, tokens=1000),
        "addon": make_addon(client, admin, period="yearly"),
    }


@pytest.fixture
def order(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> dict[str, Any]:
    return dict(
        checkout(
            client, user, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]] * 2, addons=[shop["addon"]["id"]]
        )
    )


def deliver(client: Client, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None) -> Reply:
    body, headers = stripe_events.signed(event, secret or stripe_webhook_secret(), timestamp=timestamp)
    return client.api.request("POST", "/api/v1/webhooks/stripe", headers, body)


def completed(
    order: dict[str, Any],
    *,
    amount: int | None = None,
    intent: str | None = None,
    event_id: str | None = None,
    status: str = "paid",
    kind: str = "checkout.session.completed",
    currency: str = "usd",
) -> dict[str, Any]:
    inv = order["invoice"]
    total = int(inv["total_amount"].replace(".", ""))
    session = stripe_events.checkout_session(
        inv["id"],
        total if amount is None else amount,
        currency,
        user_id=inv["user_id"],
        payment_status=status,
        payment_intent=intent or f"pi_{inv['id'].replace('-', '')}",
    )
    return stripe_events.event(kind, session, event_id=event_id)


# --- the seed's tests --------------------------------------------------------------------------------


def test_the_payment_activates_everything_in_one_call(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    reply = pay_manually(client, admin, order["invoice"], reference="PAY-123")
    assert reply.status == 200
    assert reply.json() == {"status": "paid", "invoice_id": order["invoice"]["id"], "items_activated": 4}
    paid = invoice(client, user, order["invoice"]["id"])
    assert paid["status"] == "paid" and paid["payment_reference"] == "PAY-123" and paid["paid_at"]
    sub = client.get(f"/api/v1/user/subscriptions/{order['subscription']['id']}", token=user["access_token"]).json()
    assert sub["status"] == "active" and sub["starts_at"] == paid["paid_at"]
    assert sub["expires_at"][:7] > sub["starts_at"][:7]  # a calendar month later
    addon = client.get("/api/v1/user/addons", token=user["access_token"]).json()["items"][0]
    assert addon["status"] == "active" and addon["expires_at"][:4] == str(int(addon["starts_at"][:4]) + 1)
    assert balance(client, user) > 0
    assert balance(client, user) == 300 + 2 * 1000


def test_each_credit_has_one_ledger_entry(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    pay_manually(client, admin, order["invoice"])
    entries = client.get("/api/v1/user/tokens/transactions", token=user["access_token"]).json()["items"]
    assert sorted((e["transaction_type"], e["amount"]) for e in entries) == [
        ("purchase", 1000),
        ("purchase", 1000),
        ("subscription", 300),
    ]
    references = {e["reference_id"] for e in entries}
    assert references == {p["id"] for p in order["token_bundles"]} | {order["subscription"]["id"]}
    assert sorted(e["balance_after"] for e in entries) == [300, 1300, 2300]
    events = [
        e["type"]
        for e in outbox.pending_events(100_000)
        if e["aggregate_id"] in {order["invoice"]["id"], order["subscription"]["id"], order["add_ons"][0]["id"]}
    ]
    assert sorted(events) == [
        "addon.activated",
        "invoice.created",
        "invoice.paid",
        "subscription.activated",
        "subscription.created",
        "tokens.credited",
    ]


# --- outcomes ----------------------------------------------------------------------------------------


def test_a_repeat_of_the_same_payment_is_a_no_op(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    pay_manually(client, admin, order["invoice"], reference="PAY-SAME")
    again = pay_manually(client, admin, order["invoice"], reference="PAY-SAME")
    assert again.status == 200 and again.json()["status"] == "already_paid"
    assert balance(client, user) == 2300


def test_a_second_payment_is_recorded_for_refund_and_activates_nothing(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    pay_manually(client, admin, order["invoice"], reference="PAY-FIRST")
    double = pay_manually(client, admin, order["invoice"], reference="PAY-SECOND")
    assert double.status == 409 and double.json()["error"]["code"] == "invoice_already_paid"
    recorded = billing_store.get_payment("manual", "PAY-SECOND")
    assert recorded is not None and recorded.status == "needs_refund"
    assert balance(client, user) == 2300


@pytest.mark.parametrize(
    ("amount", "currency", "code", "field"),
    [("18.99", "USD", "amount_mismatch", "amount"), ("29.00", "EUR", "currency_mismatch", "currency")],
)
def test_a_wrong_amount_or_currency_activates_nothing(
    client: Client,
    admin: dict[str, Any],
    user: dict[str, Any],
    order: dict[str, Any],
    amount: str,
    currency: str,
    code: str,
    field: str,
) -> None:
    reference = f"PAY-{uuid.uuid4().hex[:6]}"
    reply = pay_manually(client, admin, order["invoice"], reference=reference, amount=amount, currency=currency)
    assert reply.status == 422 and reply.json()["error"]["code"] == code
    assert [detail["field"] for detail in reply.json()["error"]["details"]] == [field]
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"
    assert balance(client, user) == 0
    review = billing_store.get_payment("manual", reference)
    assert review is not None and review.status == "needs_review" and review.reason == code


def test_a_cancelled_invoice_cannot_be_paid(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    client.post(f"/api/v1/user/invoices/{order['invoice']['id']}/cancel", token=user["access_token"])
    reply = pay_manually(client, admin, order["invoice"], reference="PAY-LATE")
    assert reply.status == 409 and reply.json()["error"]["code"] == "invoice_cancelled"
    assert balance(client, user) == 0
    assert billing_store.get_payment("manual", "PAY-LATE").status == "needs_review"  # type: ignore[union-attr]


def test_mark_paid_uses_the_invoice_total(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    path = f"/api/v1/admin/invoices/{order['invoice']['id']}/mark-paid"
    reply = client.post(path, {"payment_reference": "BANK-42"}, token=admin["access_token"])
    assert reply.status == 200 and reply.json()["status"] == "paid"
    assert client.post(path, {"payment_reference": "BANK-42"}, token=user["access_token"]).status == 403
    assert balance(client, user) == 2300


# --- security ----------------------------------------------------------------------------------------


def test_only_an_admin_or_a_signature_can_capture(client: Client, user: dict[str, Any], order: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "invoice_id": order["invoice"]["id"],
            "payment_reference": "FORGED",
            "amount": order["invoice"]["total_amount"],
            "currency": "USD",
        }
    )
    headers = {"content-type": "application/json"}
    assert client.api.request("POST", PAYMENT, headers, body).status == 401
    as_user = client.api.request("POST", PAYMENT, {**headers, "authorization": f"Bearer {user['access_token']}"}, body)
    assert as_user.status == 403
    bad = client.api.request("POST", PAYMENT, {**headers, signatures.HEADER: "t=1,v1=deadbeef"}, body)
    assert bad.status == 401
    stale = signatures.sign(body.encode(), payment_webhook_secret(), int(time.time()) - 600)
    assert client.api.request("POST", PAYMENT, {**headers, signatures.HEADER: stale}, body).status == 401
    other_key = signatures.sign(body.encode(), "not-the-secret")
    assert client.api.request("POST", PAYMENT, {**headers, signatures.HEADER: other_key}, body).status == 401
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"
    assert billing_store.get_payment("manual", "FORGED") is None  # nothing written
    assert balance(client, user) == 0
    signed = signatures.sign(body.encode(), payment_webhook_secret())
    ok = client.api.request("POST", PAYMENT, {**headers, signatures.HEADER: signed}, body)
    assert ok.status == 200 and ok.json()["status"] == "paid"


def test_bad_bodies_are_client_errors(client: Client, admin: dict[str, Any], order: dict[str, Any]) -> None:
    token = admin["access_token"]
    assert client.post(PAYMENT, {"invoice_id": order["invoice"]["id"]}, token=token).status == 422
    too_precise = {"invoice_id": order["invoice"]["id"], "payment_reference": "X", "amount": "19.001"}
    assert client.post(PAYMENT, too_precise, token=token).status == 422
    assert client.request("POST", PAYMENT, body="{nope", token=token).status == 400
    unknown = {"invoice_id": str(uuid.uuid4()), "payment_reference": "X", "amount": "1.00"}
    assert client.post(PAYMENT, unknown, token=token).status == 404


# --- faults ------------------------------------------------------------------------------------------


def test_a_failed_capture_leaves_nothing_and_a_retry_succeeds(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    events = connection().client.meta.events

    def fail(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://dynamodb (injected: the network dropped the call)")

    events.register("before-send.dynamodb.TransactWriteItems", fail, unique_id="inject-capture-failure")
    try:
        failed = pay_manually(client, admin, order["invoice"], reference="PAY-RETRY")
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="inject-capture-failure")
    assert failed.status == 503  # a dropped connection is transient: retry
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"
    assert (
        client.get(f"/api/v1/user/subscriptions/{order['subscription']['id']}", token=user["access_token"]).json()[
            "status"
        ]
        == "pending"
    )
    assert balance(client, user) == 0
    assert billing_store.get_payment("manual", "PAY-RETRY") is None
    retried = pay_manually(client, admin, order["invoice"], reference="PAY-RETRY")
    assert retried.status == 200 and retried.json()["status"] == "paid"
    assert balance(client, user) == 2300


# --- concurrency -------------------------------------------------------------------------------------


def _ledger_of(user: dict[str, Any]) -> list[tuple[str, int]]:
    entries, _ = token_store.list_entries(user["user"]["id"], limit=100, cursor=None)
    return sorted((e.type.value, e.amount) for e in entries)


def test_twenty_identical_stripe_events_capture_once(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    event = completed(order, event_id=f"evt_{uuid.uuid4().hex}")
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda _: deliver(client, event), range(20)))
    assert {r.status for r in replies} == {200}
    assert balance(client, user) == 2300
    assert _ledger_of(user) == [("purchase", 1000), ("purchase", 1000), ("subscription", 300)]


def test_twenty_different_events_for_one_invoice_capture_once(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    events = [completed(order, intent=f"pi_same_{order['invoice']['id']}") for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda e: deliver(client, e), events))
    assert {r.status for r in replies} == {200}
    outcomes = sorted(r.json()["outcome"] for r in replies)
    assert outcomes.count("paid") == 1 and set(outcomes) <= {"paid", "already_paid"}
    assert balance(client, user) == 2300


def test_twenty_concurrent_manual_captures_capture_once(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    with ThreadPoolExecutor(20) as pool:
        replies = list(
            pool.map(lambda _: pay_manually(client, admin, order["invoice"], reference="PAY-BURST"), range(20))
        )
    statuses = sorted(r.json()["status"] for r in replies)
    assert statuses.count("paid") == 1 and statuses.count("already_paid") == 19
    assert balance(client, user) == 2300


def test_a_capture_racing_a_cancel(client: Client, admin: dict[str, Any], shop: dict[str, Any]) -> None:
    for _ in range(3):
        buyer = register(client)
        placed = checkout(client, buyer, plan=shop["plan"]["id"], bundles=[shop["bundle"]["id"]])
        cancel_path = f"/api/v1/user/invoices/{placed['invoice']['id']}/cancel"
        with ThreadPoolExecutor(2) as pool:
            paying = pool.submit(pay_manually, client, admin, placed["invoice"])
            cancelling = pool.submit(client.post, cancel_path, None, token=buyer["access_token"])
            pay_reply, cancel_reply = paying.result(), cancelling.result()
        final = invoice(client, buyer, placed["invoice"]["id"])
        sub = client.get(
            f"/api/v1/user/subscriptions/{placed['subscription']['id']}", token=buyer["access_token"]
        ).json()
        if final["status"] == "paid":
            assert pay_reply.status == 200 and cancel_reply.status == 409
            assert sub["status"] == "active" and balance(client, buyer) == 1300
        else:
            assert final["status"] == "cancelled" and cancel_reply.status == 200 and pay_reply.status == 409
            assert sub["status"] == "cancelled" and balance(client, buyer) == 0


# --- round trips -------------------------------------------------------------------------------------


def test_a_stripe_capture_is_one_read_and_one_transaction(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    event = completed(order)
    with count_ddb_calls() as calls:
        assert deliver(client, event).json()["outcome"] == "paid"
    capture_calls = [c for c in calls if c in {"BatchGetItem", "TransactWriteItems"}]
    assert capture_calls == ["BatchGetItem", "TransactWriteItems"]
    assert calls == ["PutItem", "BatchGetItem", "TransactWriteItems", "UpdateItem"]  # + event stored, processed


# --- Stripe ------------------------------------------------------------------------------------------


def test_pay_opens_a_checkout_session(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any], fake_stripe: FakeStripe
) -> None:
    path = f"/api/v1/user/invoices/{order['invoice']['id']}/pay"
    reply = client.post(path, token=user["access_token"])
    assert reply.status == 200
    session_id = reply.json()["session_id"]
    assert reply.json()["checkout_url"].endswith(session_id)
    sent = fake_stripe.requests[-1]
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == order["invoice"]["id"]
    assert params["metadata"]["invoice_id"] == order["invoice"]["id"]
    assert [int(line["price_data"]["unit_amount"]) for line in params["line_items"]] == [900, 500, 500, 500]
    assert sent["idempotency_key"] == f"vbwd-invoice-{order['invoice']['id']}-checkout-{params['expires_at']}"
    again = client.post(path, token=user["access_token"])
    assert again.json()["session_id"] == session_id  # the derived idempotency key gives the same session
    assert billing_store.get_invoice(order["invoice"]["id"]).stripe_session_id == session_id  # type: ignore[union-attr]
    pay_manually(client, admin, order["invoice"])
    assert client.post(path, token=user["access_token"]).status == 409
    other = register(client)
    assert client.post(path, token=other["access_token"]).status == 404


def test_bad_missing_or_stale_signatures_are_400_and_write_nothing(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    event = completed(order, event_id=f"evt_{uuid.uuid4().hex}")
    assert deliver(client, event, secret="whsec_wrong").status == 400
    assert deliver(client, event, timestamp=int(time.time()) - 301).status == 400
    body = json.dumps(event).encode()
    unsigned = client.api.request("POST", "/api/v1/webhooks/stripe", {"content-type": "application/json"}, body)
    assert unsigned.status == 400
    assert billing_store.get_event_status("stripe", event["id"]) is None
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"


def test_events_are_stored_first_and_duplicates_are_no_ops(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    event = completed(order)
    first = deliver(client, event)
    assert first.json() == {"status": "processed", "event_id": event["id"], "outcome": "paid"}
    assert billing_store.get_event_status("stripe", event["id"]) == "processed"
    assert deliver(client, event).json()["status"] == "duplicate"
    assert balance(client, user) == 2300


def test_a_processing_failure_is_5xx_and_the_next_delivery_processes_it(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    event = completed(order)
    events = connection().client.meta.events

    def fail(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://dynamodb (injected)")

    events.register("before-send.dynamodb.TransactWriteItems", fail, unique_id="inject-stripe-failure")
    try:
        failed = deliver(client, event)
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="inject-stripe-failure")
    assert failed.status >= 500  # never acknowledged and lost
    assert billing_store.get_event_status("stripe", event["id"]) == "received"
    assert balance(client, user) == 0
    assert deliver(client, event).json()["outcome"] == "paid"
    assert billing_store.get_event_status("stripe", event["id"]) == "processed"


def test_async_payments_and_unknown_types(client: Client, user: dict[str, Any], order: dict[str, Any]) -> None:
    waiting = deliver(client, completed(order, status="unpaid"))
    assert waiting.json()["outcome"] == "awaiting_async_payment"
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"
    failed = deliver(client, completed(order, status="unpaid", kind="checkout.session.async_payment_failed"))
    assert failed.json()["outcome"] == "payment_failed_recorded"
    assert invoice(client, user, order["invoice"]["id"])["payment_failed_at"]
    succeeded = deliver(client, completed(order, kind="checkout.session.async_payment_succeeded"))
    assert succeeded.json()["outcome"] == "paid"
    ignored = deliver(client, stripe_events.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert ignored.status == 200 and ignored.json()["outcome"] == "ignored"


def test_a_wrong_stripe_amount_is_acknowledged_recorded_and_activates_nothing(
    client: Client, user: dict[str, Any], order: dict[str, Any]
) -> None:
    reply = deliver(client, completed(order, amount=100, intent=f"pi_short_{order['invoice']['id']}"))
    assert reply.status == 200 and reply.json()["outcome"] == "rejected:amount_mismatch"
    assert billing_store.get_payment("stripe", f"pi_short_{order['invoice']['id']}").status == "needs_review"  # type: ignore[union-attr]
    assert balance(client, user) == 0


# --- refunds -----------------------------------------------------------------------------------------


def test_an_admin_refund_cancels_and_reverses(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    pay_manually(client, admin, order["invoice"])
    client.post("/api/v1/user/tokens/consume", {"amount": 2000, "idempotency_key": "spend"}, token=user["access_token"])
    path = f"/api/v1/admin/invoices/{order['invoice']['id']}/refund"
    refunded = client.post(path, {"reason": "customer request"}, token=admin["access_token"])
    assert refunded.status == 200
    body = refunded.json()
    assert body["status"] == "refunded" and body["invoice"]["status"] == "refunded"
    assert body["tokens_reversed"] == 300 and body["shortfall"] == 2000
    assert balance(client, user) == 0  # never negative
    sub = client.get(f"/api/v1/user/subscriptions/{order['subscription']['id']}", token=user["access_token"]).json()
    assert sub["status"] == "cancelled"
    assert client.get("/api/v1/user/addons", token=user["access_token"]).json()["items"][0]["status"] == "cancelled"
    again = client.post(path, {"reason": "twice"}, token=admin["access_token"])
    assert again.json()["status"] == "already_refunded" and balance(client, user) == 0
    wallet = token_store.get_wallet(user["user"]["id"])
    assert wallet is not None and token_store.ledger_sum(user["user"]["id"])[0] == wallet.balance


def test_stripe_refunds_full_and_partial(client: Client, user: dict[str, Any], shop: dict[str, Any]) -> None:
    full_order = checkout(client, user, bundles=[shop["bundle"]["id"]])
    deliver(client, completed(full_order, intent="pi_full"))
    part_order = checkout(client, user, bundles=[shop["bundle"]["id"]])
    deliver(client, completed(part_order, intent="pi_part"))
    assert balance(client, user) == 2000
    partial = deliver(
        client, stripe_events.event("charge.refunded", stripe_events.charge("pi_part", 500, "usd", amount_refunded=200))
    )
    assert partial.json()["outcome"] == "partial_recorded"
    part = invoice(client, user, part_order["invoice"]["id"])
    assert part["status"] == "paid" and part["refunded_amount"] == "2.00"
    assert balance(client, user) == 2000  # a partial refund reverses nothing
    full = deliver(
        client, stripe_events.event("charge.refunded", stripe_events.charge("pi_full", 500, "usd", amount_refunded=500))
    )
    assert full.json()["outcome"] == "refunded"
    assert invoice(client, user, full_order["invoice"]["id"])["status"] == "refunded"
    assert balance(client, user) == 1000


def test_the_capture_makes_subscriptions_visible(
    client: Client, admin: dict[str, Any], user: dict[str, Any], order: dict[str, Any]
) -> None:
    pay_manually(client, admin, order["invoice"])
    listed = client.get("/api/v1/user/subscriptions", token=user["access_token"]).json()["items"]
    assert [s["id"] for s in listed] == [order["subscription"]["id"]] and listed[0]["status"] == "active"
    other = register(client)
    path = f"/api/v1/user/subscriptions/{order['subscription']['id']}"
    assert client.get(path, token=other["access_token"]).status == 404

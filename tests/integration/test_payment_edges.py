"""Edge cases of payments and metering found in review: events out of order, repeated free plans,
late Stripe sessions, replayed refunds, tampered cursors, revoked admins."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import stripe

from local import stripe_events
from local.fake_stripe import FakeStripe
from tests.conftest import Client, register
from tests.integration.shop import balance, checkout, invoice, make_bundle, make_plan, pay_manually
from tests.integration.test_capture import completed, deliver
from vbwd.domain import clock
from vbwd.services import capture as capture_service
from vbwd.services import users
from vbwd.settings import stripe_webhook_secret
from vbwd.store import billing as billing_store
from vbwd.store.billing import InvoiceRecord, PaymentRecord, invoice_key, payment_key


def test_a_refund_that_arrives_before_the_capture_stops_it(
    client: Client, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    intent = f"pi_early_refund_{placed['invoice']['id']}"
    refund = stripe_events.event("charge.refunded", stripe_events.charge(intent, 500, "usd", amount_refunded=500))
    assert deliver(client, refund).json()["outcome"] == "refund_recorded_on_payment"
    late = deliver(client, completed(placed, intent=intent))
    assert late.status == 200 and late.json()["outcome"] == "rejected:payment_refunded"
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "pending"
    assert balance(client, user) == 0
    assert billing_store.get_payment("stripe", intent).status == "refunded"  # type: ignore[union-attr]


def test_a_refund_of_a_payment_kept_for_review_closes_it(
    client: Client, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    intent = f"pi_short_{placed['invoice']['id']}"
    assert deliver(client, completed(placed, amount=100, intent=intent)).json()["outcome"].startswith("rejected")
    assert billing_store.get_payment("stripe", intent).status == "needs_review"  # type: ignore[union-attr]
    refund = stripe_events.event("charge.refunded", stripe_events.charge(intent, 100, "usd", amount_refunded=100))
    assert deliver(client, refund).json()["outcome"] == "refund_recorded_on_payment"
    assert billing_store.get_payment("stripe", intent).status == "refunded"  # type: ignore[union-attr]


def test_refunds_of_a_second_payment_never_touch_the_invoice_the_first_one_paid(
    client: Client, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    bundle = make_bundle(client, admin)  # 500 minor units, 1000 tokens
    placed = checkout(client, user, bundles=[bundle["id"]])
    first, second = f"pi_first_{placed['invoice']['id']}", f"pi_second_{placed['invoice']['id']}"
    assert deliver(client, completed(placed, intent=first)).json()["outcome"] == "paid"
    assert deliver(client, completed(placed, intent=second)).json()["outcome"] == "double_payment:double_payment"
    # Stripe sends charge.refunded for each refund of the second charge, with the running total
    for refunded_so_far, status in ((200, "needs_refund"), (500, "refunded")):
        charge = stripe_events.charge(second, 500, "usd", amount_refunded=refunded_so_far)
        reply = deliver(client, stripe_events.event("charge.refunded", charge))
        assert reply.status == 200 and reply.json()["outcome"] == "refund_recorded_on_payment"
        assert billing_store.get_payment("stripe", second).status == status  # type: ignore[union-attr]
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "paid"  # the first payment still stands
    assert balance(client, user) == 1000
    assert billing_store.get_payment("stripe", first).status == "captured"  # type: ignore[union-attr]


def test_a_late_older_refund_event_never_lowers_the_refunded_total(
    client: Client, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    first, second = f"pi_first_{placed['invoice']['id']}", f"pi_second_{placed['invoice']['id']}"
    deliver(client, completed(placed, intent=first))
    deliver(client, completed(placed, intent=second))  # a double payment, kept as needs_refund
    for refunded_so_far in (300, 100):  # the second refund event was sent first, and arrives last
        charge = stripe_events.charge(second, 500, "usd", amount_refunded=refunded_so_far)
        assert deliver(client, stripe_events.event("charge.refunded", charge)).status == 200
    stored = PaymentRecord.get(*payment_key("stripe", second), consistent_read=True)
    assert (stored.status, int(stored.refunded_minor)) == ("needs_refund", 300)


def test_money_kept_for_review_is_counted_once_however_often_it_is_delivered(
    client: Client, admin: dict[str, Any], user: dict[str, Any], monkeypatch: Any
) -> None:
    counted: list[str] = []
    monkeypatch.setattr(capture_service, "metric", lambda name, *args, **kwargs: counted.append(name))
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    short = f"pi_short_twice_{placed['invoice']['id']}"
    for kind in (
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
    ):
        assert deliver(client, completed(placed, amount=100, intent=short, kind=kind)).status == 200
    assert counted.count("PaymentsNeedingReview") == 1


def test_a_partial_refund_before_the_capture_waits_for_it(
    client: Client, admin: dict[str, Any], user: dict[str, Any]
) -> None:
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    intent = f"pi_partial_early_{placed['invoice']['id']}"
    refund = stripe_events.event("charge.refunded", stripe_events.charge(intent, 500, "usd", amount_refunded=100))
    early = deliver(client, refund)
    assert early.status == 503  # Stripe delivers it again later
    assert billing_store.get_payment("stripe", intent) is None  # nothing recorded that would block the capture
    assert deliver(client, completed(placed, intent=intent)).json()["outcome"] == "paid"
    again = deliver(client, refund)  # the redelivery, same event id
    assert again.status == 200 and again.json()["outcome"] == "partial_recorded"
    paid = invoice(client, user, placed["invoice"]["id"])
    assert paid["status"] == "paid" and paid["refunded_amount"] == "1.00"
    assert balance(client, user) == 1000  # a partial refund reverses nothing


def test_a_retried_pay_sends_stripe_the_same_parameters_under_the_same_key(
    client: Client, admin: dict[str, Any], user: dict[str, Any], fake_stripe: FakeStripe, monkeypatch: Any
) -> None:
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    path = f"/api/v1/user/invoices/{placed['invoice']['id']}/pay"
    hour = clock.now().replace(minute=0, second=0, microsecond=0)
    sessions = set()
    for seconds in (1.25, 2.75, 3599.5):  # retries, seconds apart, within one hour
        monkeypatch.setattr(clock, "now", lambda at=hour + timedelta(seconds=seconds): at)
        reply = client.post(path, token=user["access_token"])
        assert reply.status == 200, reply.body  # the fake, like Stripe, refuses a key reused with other parameters
        sessions.add(reply.json()["session_id"])
    assert len(sessions) == 1
    assert len({request["idempotency_key"] for request in fake_stripe.requests}) == 1
    assert len({json.dumps(request["params"], sort_keys=True) for request in fake_stripe.requests}) == 1


def test_one_live_subscription_per_plan(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    plan = make_plan(client, admin)
    first = checkout(client, user, plan=plan["id"])
    again = checkout(client, user, plan=plan["id"], expect=409)
    assert again.json()["error"]["code"] == "plan_already_subscribed"
    client.post(f"/api/v1/user/invoices/{first['invoice']['id']}/cancel", token=user["access_token"])
    second = checkout(client, user, plan=plan["id"])  # the cancelled one no longer counts
    pay_manually(client, admin, second["invoice"])
    assert checkout(client, user, plan=plan["id"], expect=409).status == 409  # nor does paying free it
    refunded = client.post(
        f"/api/v1/admin/invoices/{second['invoice']['id']}/refund", {"reason": "test"}, token=admin["access_token"]
    )
    assert refunded.status == 200
    checkout(client, user, plan=plan["id"])  # a refunded subscription no longer counts either


def test_a_plan_may_be_bought_again_once_its_paid_period_is_over(
    client: Client, admin: dict[str, Any], user: dict[str, Any], monkeypatch: Any
) -> None:
    plan = make_plan(client, admin, period="monthly")
    first = checkout(client, user, plan=plan["id"])
    assert pay_manually(client, admin, first["invoice"]).status == 200
    assert checkout(client, user, plan=plan["id"], expect=409).status == 409  # within the paid month
    later = clock.now() + timedelta(days=32)
    monkeypatch.setattr(clock, "now", lambda: later)
    second = checkout(client, user, plan=plan["id"])  # the month is over: the plan may be bought again
    assert checkout(client, user, plan=plan["id"], expect=409).status == 409  # but only once
    # refunding the old invoice leaves the new subscription's guard alone
    refunded = client.post(
        f"/api/v1/admin/invoices/{first['invoice']['id']}/refund", {"reason": "late"}, token=admin["access_token"]
    )
    assert refunded.status == 200, refunded.body
    assert checkout(client, user, plan=plan["id"], expect=409).status == 409
    guard = billing_store.PlanGuardRecord.get(*billing_store.plan_guard_key(user["user"]["id"], plan["id"]))
    assert guard.subscription_id == second["subscription"]["id"]


def test_a_one_time_plan_stays_bought(
    client: Client, admin: dict[str, Any], user: dict[str, Any], monkeypatch: Any
) -> None:
    plan = make_plan(client, admin, period="one_time")
    first = checkout(client, user, plan=plan["id"])
    assert pay_manually(client, admin, first["invoice"]).status == 200
    later = clock.now() + timedelta(days=3650)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert checkout(client, user, plan=plan["id"], expect=409).json()["error"]["code"] == "plan_already_subscribed"


def test_a_free_plan_cannot_be_farmed_for_tokens(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    free = make_plan(client, admin, price="0.00", tokens=50)
    checkout(client, user, plan=free["id"])
    for _ in range(3):
        assert checkout(client, user, plan=free["id"], expect=409).status == 409
    assert balance(client, user) == 50


def test_free_token_bundles_cannot_be_bought(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    free = make_bundle(client, admin, price="0.00", tokens=100)
    reply = checkout(client, user, bundles=[free["id"]], expect=422)
    assert reply.json()["error"]["details"][0]["type"] == "free_bundle"
    assert balance(client, user) == 0


def test_pay_refuses_an_expired_invoice_and_sessions_close_with_it(
    client: Client, admin: dict[str, Any], user: dict[str, Any], fake_stripe: FakeStripe
) -> None:
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    path = f"/api/v1/user/invoices/{placed['invoice']['id']}/pay"
    assert client.post(path, token=user["access_token"]).status == 200
    expires = clock.parse_iso(placed["invoice"]["expires_at"])
    assert int(fake_stripe.requests[-1]["params"]["expires_at"]) <= int(expires.timestamp())
    soon = clock.iso(clock.now() + timedelta(minutes=10))
    InvoiceRecord(*invoice_key(placed["invoice"]["id"])).update(actions=[InvoiceRecord.expires_at.set(soon)])
    late = client.post(path, token=user["access_token"])
    assert late.status == 409 and late.json()["error"]["code"] == "invoice_expired"


def test_stripe_refusing_a_session_is_a_client_error(
    client: Client, admin: dict[str, Any], user: dict[str, Any], fake_stripe: FakeStripe
) -> None:
    tiny = make_bundle(client, admin, price="0.10", tokens=1)
    placed = checkout(client, user, bundles=[tiny["id"]])
    reply = client.post(f"/api/v1/user/invoices/{placed['invoice']['id']}/pay", token=user["access_token"])
    assert reply.status == 422 and reply.json()["error"]["code"] == "payment_provider_refused"


def test_a_replayed_refund_returns_the_original(client: Client, admin: dict[str, Any]) -> None:
    buyer = register(client)
    client.post(
        f"/api/v1/admin/users/{buyer['user']['id']}/tokens",
        {"amount": 100, "reason": "fund", "idempotency_key": str(uuid.uuid4())},
        token=admin["access_token"],
    )
    usage = client.post(
        "/api/v1/user/tokens/consume", {"amount": 100, "idempotency_key": "u1"}, token=buyer["access_token"]
    ).json()["transaction"]
    headers = {"Idempotency-Key": "r-full"}
    first = client.post(
        "/api/v1/user/tokens/refund", {"transaction_id": usage["id"]}, token=buyer["access_token"], headers=headers
    )
    again = client.post(
        "/api/v1/user/tokens/refund", {"transaction_id": usage["id"]}, token=buyer["access_token"], headers=headers
    )
    assert first.status == again.status == 200
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    assert again.json()["balance"] == 100
    other = client.post(
        "/api/v1/user/tokens/refund",
        {"transaction_id": usage["id"], "amount": 5},
        token=buyer["access_token"],
        headers=headers,
    )
    assert other.status == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_foreign_or_tampered_cursors_are_422(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    client.post(
        f"/api/v1/admin/users/{user['user']['id']}/tokens",
        {"amount": 10, "reason": "fund", "idempotency_key": str(uuid.uuid4())},
        token=admin["access_token"],
    )
    for key in ("c1", "c2"):
        client.post("/api/v1/user/tokens/consume", {"amount": 1, "idempotency_key": key}, token=user["access_token"])
    page = client.get("/api/v1/user/tokens/transactions?limit=1", token=user["access_token"]).json()
    moved = client.get(
        f"/api/v1/user/tokens/transactions?limit=1&from=2999-01-01T00:00:00Z&cursor={page['next_cursor']}",
        token=user["access_token"],
    )
    assert moved.status == 422 and moved.json()["error"]["details"][0]["field"] == "cursor"
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps({"pk": "SUB#x", "sk": "SUB", "gsi1sk": "SUB#x"}).encode()).decode()
    assert client.get(f"/api/v1/user/invoices?cursor={forged}", token=user["access_token"]).status == 422


def test_dates_before_1970_mean_from_the_beginning(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    client.post(
        f"/api/v1/admin/users/{user['user']['id']}/tokens",
        {"amount": 10, "reason": "fund", "idempotency_key": str(uuid.uuid4())},
        token=admin["access_token"],
    )
    reply = client.get(
        "/api/v1/user/tokens/transactions?from=1960-01-01T00:00:00Z&to=2999-01-01T00:00:00Z", token=user["access_token"]
    )
    assert reply.status == 200 and len(reply.json()["items"]) == 1


def test_oversized_idempotency_keys_are_422(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    bundle = make_bundle(client, admin)
    reply = client.post(
        "/api/v1/user/checkout",
        {"token_bundle_ids": [bundle["id"]]},
        token=user["access_token"],
        headers={"Idempotency-Key": "k" * 3000},
    )
    assert reply.status == 422


def test_a_disabled_admin_cannot_move_money(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    other_admin_email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    users.ensure_admin(other_admin_email, "other-admin-password")
    login = client.post("/api/v1/auth/login", {"email": other_admin_email, "password": "other-admin-password"}).json()
    bundle = make_bundle(client, admin)
    placed = checkout(client, user, bundles=[bundle["id"]])
    client.post(f"/api/v1/admin/users/{login['user']['id']}/disable", token=admin["access_token"])
    # the access token is still valid for up to 15 minutes, but the authorizer and the money routes check
    # the account itself
    mark = client.post(
        f"/api/v1/admin/invoices/{placed['invoice']['id']}/mark-paid",
        {"payment_reference": "X"},
        token=login["access_token"],
    )
    assert mark.status == 401
    assert pay_manually(client, {"access_token": login["access_token"]}, placed["invoice"]).status == 401
    reenable = client.post(f"/api/v1/admin/users/{login['user']['id']}/enable", token=login["access_token"])
    assert reenable.status == 401  # nor can it undo its own disable
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "pending"


def test_a_free_cart_whose_capture_failed_settles_on_replay(
    client: Client, admin: dict[str, Any], user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vbwd.domain.errors import Unavailable
    from vbwd.services import capture

    free = make_plan(client, admin, price="0.00", tokens=5)
    real = capture.capture

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable()

    monkeypatch.setattr(capture, "capture", unavailable)
    first = client.post(
        "/api/v1/user/checkout",
        {"plan_id": free["id"]},
        token=user["access_token"],
        headers={"Idempotency-Key": "free-once"},
    )
    assert first.status == 503
    monkeypatch.setattr(capture, "capture", real)
    again = client.post(
        "/api/v1/user/checkout",
        {"plan_id": free["id"]},
        token=user["access_token"],
        headers={"Idempotency-Key": "free-once"},
    )
    assert again.status == 201 and again.json()["invoice"]["status"] == "paid"
    assert balance(client, user) == 5


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (lambda event: event["data"].update(object=[1]), "data.object"),
        (lambda event: event.update(data=[1]), "data"),
        (lambda event: event["data"]["object"].update(metadata=["invoice"]), "data.object.metadata"),
        (lambda event: event["data"]["object"].update(amount_total="abc"), "data.object.amount_total"),
        (lambda event: event["data"]["object"].update(amount_total=True), "data.object.amount_total"),
        (lambda event: event["data"]["object"].update(payment_intent="p" * 5000), "data.object.payment_intent"),
    ],
)
def test_a_signed_event_of_another_shape_is_422_and_writes_nothing(
    client: Client, admin: dict[str, Any], user: dict[str, Any], spoil: Any, field: str
) -> None:
    order = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    event = completed(order)
    spoil(event)
    reply = deliver(client, event)
    assert reply.status == 422, reply.body
    assert any(detail["field"].startswith(field) for detail in reply.json()["error"]["details"])
    assert billing_store.get_event_status("stripe", event["id"]) is None
    assert invoice(client, user, order["invoice"]["id"])["status"] == "pending"
    assert deliver(client, completed(order)).json()["outcome"] == "paid"  # the real event still captures


def test_a_session_vbwd_did_not_create_is_acknowledged_and_ignored(client: Client) -> None:
    session = stripe_events.checkout_session("x" * 5000, 500, "usd", user_id="someone", payment_status="paid")
    event = stripe_events.event("checkout.session.completed", session)
    reply = deliver(client, event)
    assert reply.status == 200, reply.body
    assert reply.json()["outcome"] == "ignored:no_invoice"
    assert billing_store.get_event_status("stripe", event["id"]) == "processed"


def test_a_signed_body_that_is_not_json_is_400(client: Client) -> None:
    body = '{"id": "evt_1", '
    signature = stripe.WebhookSignature.generate_signature_header(body, stripe_webhook_secret())
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    reply = client.api.request("POST", "/api/v1/webhooks/stripe", headers, body.encode())
    assert (reply.status, reply.json()["error"]["code"]) == (400, "malformed_request")


def test_an_invoice_past_its_expiry_cannot_be_paid_before_the_schedule_runs(
    client: Client, admin: dict[str, Any], user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    later = clock.parse_iso(placed["invoice"]["expires_at"]) + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "pending"  # the schedule has not run
    refused = pay_manually(client, admin, placed["invoice"])
    assert refused.status == 409 and refused.json()["error"]["code"] == "invoice_expired"
    late = deliver(client, completed(placed))
    assert late.status == 200 and late.json()["outcome"] == "rejected:invoice_expired"
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "pending"
    assert balance(client, user) == 0


def test_a_refunded_invoice_is_never_paid_again(client: Client, admin: dict[str, Any], user: dict[str, Any]) -> None:
    placed = checkout(client, user, bundles=[make_bundle(client, admin)["id"]])
    assert pay_manually(client, admin, placed["invoice"]).status == 200
    refund = client.post(
        f"/api/v1/admin/invoices/{placed['invoice']['id']}/refund", {"reason": "asked"}, token=admin["access_token"]
    )
    assert refund.status == 200 and balance(client, user) == 0
    again = pay_manually(client, admin, placed["invoice"], reference=f"PAY-AGAIN-{uuid.uuid4().hex[:6]}")
    assert again.status == 409
    stripe_again = deliver(client, completed(placed, intent=f"pi_again_{uuid.uuid4().hex}"))
    assert stripe_again.status == 200 and stripe_again.json()["outcome"].startswith(("rejected", "double_payment"))
    assert invoice(client, user, placed["invoice"]["id"])["status"] == "refunded"
    assert balance(client, user) == 0
    purchases = client.get("/api/v1/user/tokens/transactions?type=purchase", token=user["access_token"]).json()
    assert len(purchases["items"]) == 1  # credited once, by the first payment only

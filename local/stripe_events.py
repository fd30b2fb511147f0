"""Stripe-shaped objects and signed webhook deliveries, for the local trigger, the fake API and the tests.

The shapes follow Stripe's documented API objects (``event``, ``checkout.session``, ``charge``); the
signature is made by the stripe SDK's own ``WebhookSignature.generate_signature_header``, exactly the
scheme the webhook verifies.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import stripe

API_VERSION = "2025-10-29.clover"


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def checkout_session(
    invoice_id: str,
    amount_total: int,
    currency: str,
    *,
    user_id: str | None = None,
    payment_status: str = "paid",
    session_id: str | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A ``checkout.session`` object as Stripe sends it in ``checkout.session.*`` events."""
    completed = payment_status == "paid"
    metadata = {"invoice_id": invoice_id, **({"user_id": user_id} if user_id else {})}
    return {
        "id": session_id or _id("cs"),
        "object": "checkout.session",
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "cancel_url": "http://localhost:3000/checkout/cancel",
        "client_reference_id": invoice_id,
        "created": int(time.time()) - 60,
        "currency": currency.lower(),
        "customer": None,
        "customer_details": {"email": "buyer@example.com", "name": None, "tax_exempt": "none"},
        "expires_at": int(time.time()) + 23 * 3600,
        "livemode": False,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": payment_intent or _id("pi"),
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "status": "complete" if completed or payment_status == "unpaid" else "open",
        "success_url": "http://localhost:3000/checkout/success",
        "url": None,
    }


def charge(payment_intent: str, amount: int, currency: str, *, amount_refunded: int) -> dict[str, Any]:
    """A ``charge`` object as Stripe sends it in ``charge.refunded``."""
    return {
        "id": _id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "created": int(time.time()) - 120,
        "currency": currency.lower(),
        "livemode": False,
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An ``event`` object wrapping ``obj``."""
    return {
        "id": event_id or _id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signed(payload: dict[str, Any], secret: str, *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook delivery, signed as Stripe signs it."""
    body = json.dumps(payload, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body.encode(), {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": header,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }

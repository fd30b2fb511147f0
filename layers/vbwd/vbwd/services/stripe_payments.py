"""Stripe: Checkout Sessions for an invoice, and the webhook that captures (or refunds) it.

Only the two Stripe functions import this module (and with it the ``stripe`` SDK).

The webhook never trusts arrival order or single delivery: every event is stored first, conditionally
on its id (``received``), processed, then marked ``processed``. A processed duplicate is a no-op; an
event whose processing failed is processed again on Stripe's next delivery, because any failure answers
5xx -- an event is never acknowledged and lost. Business outcomes that activate nothing (a wrong amount,
a closed invoice, a double payment) are *recorded* and acknowledged with 200, so Stripe stops retrying
while the money stays visible for review.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import stripe

from vbwd.domain import clock, money
from vbwd.domain.billing import Payment
from vbwd.domain.enums import InvoiceStatus
from vbwd.domain.errors import Conflict, MalformedRequest, Unavailable, ValidationFailed
from vbwd.observability import logger, metric
from vbwd.services import capture, invoices, refunds
from vbwd.settings import get_settings, stripe_api_key, stripe_webhook_secret
from vbwd.store import billing as store

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

PROVIDER = "stripe"


class InvalidSignature(MalformedRequest):
    code = "invalid_signature"
    default_message = "The Stripe-Signature header is missing, invalid or stale."


# Stripe's API amounts use its own decimals per currency; vbwd's minor units follow ISO 4217. They differ
# for ISK (ISO: 0 decimals; Stripe: 2, the last two always 00) and MGA (ISO: 2; Stripe: 0).
_STRIPE_EXPONENT = {"ISK": 2, "MGA": 0}
SESSION_MIN_SECONDS = 30 * 60  # Stripe refuses a Checkout Session that expires sooner
SESSION_MAX_SECONDS = 24 * 3600


def _shift(currency: str) -> int:
    return _STRIPE_EXPONENT.get(currency.upper(), money.exponent(currency)) - money.exponent(currency)


def to_stripe(minor: int, currency: str) -> int:
    """A Stripe amount of vbwd minor units; one Stripe cannot express (a fraction of its unit) is a 422."""
    shift = _shift(currency)
    if shift >= 0:
        return minor * int(10**shift)
    whole, rest = divmod(minor, int(10**-shift))
    if rest:
        raise ValidationFailed(
            f"Stripe charges {currency.upper()} in whole units; this amount has a fraction.",
            code="payment_provider_refused",
        )
    return whole


def from_stripe(amount: int, currency: str) -> int:
    """vbwd minor units of a Stripe amount (an amount that is not a whole vbwd unit stays unequal: -1)."""
    shift = _shift(currency)
    if shift <= 0:
        return amount * int(10**-shift)
    whole, rest = divmod(amount, int(10**shift))
    return whole if rest == 0 else -1


def _client() -> stripe.StripeClient:
    base = get_settings().stripe_api_base
    return stripe.StripeClient(stripe_api_key(), base_addresses={"api": base} if base else None, max_network_retries=2)


def session_expiry(invoice_expires: datetime, now: datetime) -> int:
    """When the Checkout Session closes (epoch seconds): with its invoice, but at most 24 h ahead (Stripe's
    limit) -- then 24 h after the start of the current hour. Stripe refuses an idempotency key reused with
    other parameters, so a retried call must compute the same value: it depends on the invoice and the
    hour, never on the second."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    return min(int(invoice_expires.timestamp()), int(hour.timestamp()) + SESSION_MAX_SECONDS)


def create_checkout_session(user_id: str, invoice_id: str) -> tuple[str, str]:
    """A Stripe Checkout Session (``mode=payment``) with one line per invoice line, in minor units. The
    Stripe idempotency key is derived from the invoice and the session's expiry, so a retried call (same
    parameters) returns the same session."""
    invoice = invoices.get_for_user(user_id, invoice_id)
    if invoice.status is not InvoiceStatus.PENDING:
        raise Conflict(
            f"The invoice is {invoice.status.value}; only a pending invoice can be paid.",
            code=f"invoice_{invoice.status.value}",
        )
    now = clock.now()
    expires_at = session_expiry(clock.parse_iso(invoice.expires_at), now)
    if expires_at - now.timestamp() < SESSION_MIN_SECONDS:
        # The session must close when the invoice does, and Stripe needs at least 30 minutes.
        raise Conflict("The invoice expires too soon to be paid; check out again.", code="invoice_expired")
    settings = get_settings()
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": invoice.id,
        "metadata": {"invoice_id": invoice.id, "user_id": invoice.user_id, "invoice_number": invoice.invoice_number},
        "payment_intent_data": {"metadata": {"invoice_id": invoice.id, "user_id": invoice.user_id}},
        "expires_at": expires_at,
        "success_url": settings.checkout_success_url,
        "cancel_url": settings.checkout_cancel_url,
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": to_stripe(line.unit_price_minor, invoice.currency),
                    "product_data": {"name": line.description},
                },
            }
            for line in invoice.line_items
        ],
    }
    try:
        session = _client().v1.checkout.sessions.create(
            cast("SessionCreateParams", params),
            options={"idempotency_key": f"vbwd-invoice-{invoice.id}-checkout-{expires_at}"},
        )
    except stripe.InvalidRequestError as exc:  # e.g. below Stripe's minimum charge: nothing to retry
        logger.warning("Stripe refused the Checkout Session", extra={"invoice_id": invoice.id, "error": str(exc)})
        raise ValidationFailed(
            f"Stripe cannot take this payment: {exc.user_message or exc.code}", code="payment_provider_refused"
        ) from exc
    except stripe.StripeError as exc:  # network, rate limits, Stripe's own errors
        logger.warning("Stripe is unavailable", extra={"invoice_id": invoice.id, "error": str(exc)})
        raise Unavailable("The payment provider is unavailable; retry.") from exc
    store.set_stripe_session(invoice.id, session.id, clock.iso(clock.now()))
    return str(session.url), str(session.id)


def _invoice_of(session: dict[str, Any]) -> str | None:
    metadata = session.get("metadata") or {}
    return metadata.get("invoice_id") or session.get("client_reference_id")


def _capture_session(session: dict[str, Any]) -> str:
    invoice_id = _invoice_of(session)
    if not invoice_id:
        return "ignored:no_invoice"
    reference = session.get("payment_intent") or session["id"]
    currency = str(session.get("currency") or "").upper()
    result = capture.capture(
        invoice_id,
        PROVIDER,
        str(reference),
        from_stripe(int(session.get("amount_total") or 0), currency),
        currency,
        user_hint=(session.get("metadata") or {}).get("user_id"),
    )
    return f"{result.status}:{result.reason}" if result.reason else result.status


def _charge_refunded(charge: dict[str, Any]) -> str:
    """Stripe sends ``charge.refunded`` for every refund of a charge, with the running total.

    * The payment paid its invoice: a full refund refunds the invoice (once); a partial one is recorded on
      it and reverses nothing.
    * The payment paid nothing (kept for review, or not captured yet -- events arrive in any order): the
      refund is recorded on the payment and never touches an invoice, which another payment may have paid.
      A full refund closes it (``refunded``), and a capture arriving later for it is refused. A partial
      refund of a payment not captured yet is answered 503: Stripe delivers it again, after the capture.
    """
    reference = str(charge.get("payment_intent") or charge.get("id"))
    currency = str(charge.get("currency") or "").upper()
    amount = from_stripe(int(charge.get("amount") or 0), currency)
    refunded = from_stripe(int(charge.get("amount_refunded") or 0), currency)
    now = clock.iso(clock.now())
    payment = store.get_payment(PROVIDER, reference)
    if payment is None or not payment.paid_its_invoice:
        if payment is None and refunded < amount:
            raise Unavailable("A partial refund of a payment that is not captured yet; deliver it again later.")
        unpaid = payment or Payment(
            provider=PROVIDER,
            reference=reference,
            invoice_id=str((charge.get("metadata") or {}).get("invoice_id") or "unknown"),
            amount_minor=amount,
            currency=currency,
            status="refunded",
            reason="refunded_before_capture",
            created_at=now,
        )
        payment = store.record_refund(unpaid, refunded, full=refunded >= amount, now=now)
        if not payment.paid_its_invoice:
            return "refund_recorded_on_payment"
        # a capture won the race: this payment paid its invoice after all
    if refunded >= amount:
        return refunds.refund_invoice(payment.invoice_id, "Refunded in Stripe", source=PROVIDER).status
    return refunds.record_partial(payment.invoice_id, refunded).status


def _dispatch(event: dict[str, Any]) -> str:
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    if kind == "checkout.session.completed":
        if obj.get("payment_status") in {"paid", "no_payment_required"}:
            return _capture_session(obj)
        return "awaiting_async_payment"
    if kind == "checkout.session.async_payment_succeeded":
        return _capture_session(obj)
    if kind == "checkout.session.async_payment_failed":
        invoice_id = _invoice_of(obj)
        recorded = invoice_id and store.record_payment_failure(
            invoice_id, "async payment failed", clock.iso(clock.now())
        )
        return "payment_failed_recorded" if recorded else "ignored:no_invoice"
    if kind == "charge.refunded":
        return _charge_refunded(obj)
    return "ignored"


def handle_webhook(payload: bytes, signature: str | None) -> dict[str, str]:
    """Verify, store, process, mark processed. A bad signature is a 400 and writes nothing."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, stripe_webhook_secret(), tolerance=stripe.Webhook.DEFAULT_TOLERANCE
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidSignature() from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise MalformedRequest("The event has no id or type.")
    now = clock.iso(clock.now())
    if not store.receive_event(PROVIDER, str(event["id"]), str(event["type"]), payload.decode("utf-8"), now):
        return {"status": "duplicate", "event_id": str(event["id"])}
    try:
        outcome = _dispatch(event)
    except Exception:
        metric("StripeEventsFailed")  # alarm on it: the event stays "received" and Stripe retries (5xx)
        raise
    store.event_processed(PROVIDER, str(event["id"]), outcome, clock.iso(clock.now()))
    return {"status": "processed", "event_id": str(event["id"]), "outcome": outcome}

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
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import stripe
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from vbwd.domain import clock, money
from vbwd.domain.billing import Payment
from vbwd.domain.enums import InvoiceStatus
from vbwd.domain.errors import Conflict, MalformedRequest, Unavailable, ValidationFailed
from vbwd.domain.ids import parse_uuid
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


# --- the parts of Stripe's objects vbwd reads (the API's documented shapes; anything else is ignored) ---
StripeId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Amount = Annotated[StrictInt, Field(ge=0)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)  # built by the webhook's first event only


class CheckoutSession(_Shape):
    id: StripeId
    payment_intent: StripeId | None = None
    payment_status: str | None = None
    amount_total: Amount | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] | None = None


class Charge(_Shape):
    id: StripeId
    payment_intent: StripeId | None = None
    amount: Amount
    amount_refunded: Amount
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    metadata: dict[str, str] | None = None


class _Data(_Shape):
    object: dict[str, Any]


class Event(_Shape):
    id: StripeId
    type: StripeId
    data: _Data


S = TypeVar("S", bound=_Shape)
_OBJECTS: dict[str, type[_Shape]] = {
    "checkout.session.completed": CheckoutSession,
    "checkout.session.async_payment_succeeded": CheckoutSession,
    "checkout.session.async_payment_failed": CheckoutSession,
    "charge.refunded": Charge,
}


def parse_event(event: Any) -> tuple[Event, _Shape | None]:
    """The event and, for the types vbwd handles, its object. A signed event of another shape is a 422
    with the fields named, before anything is written: processing it could only fail again."""
    envelope = _validated(Event, event, ())
    shape = _OBJECTS.get(envelope.type)
    return envelope, _validated(shape, envelope.data.object, ("data", "object")) if shape else None


def _validated(shape: type[S], value: Any, at: tuple[str, ...]) -> S:
    try:
        return shape.model_validate(value)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(part) for part in (*at, *error["loc"])),
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        raise ValidationFailed("The Stripe event does not have the shape vbwd reads.", details=details) from None


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


def _invoice_of(session: CheckoutSession) -> str | None:
    """The vbwd invoice a session pays; ``None`` for a session some other system created on the account."""
    return parse_uuid((session.metadata or {}).get("invoice_id") or session.client_reference_id or "")


def _capture_session(session: CheckoutSession) -> str:
    invoice_id = _invoice_of(session)
    if not invoice_id:
        return "ignored:no_invoice"
    currency = (session.currency or "").upper()
    result = capture.capture(
        invoice_id,
        PROVIDER,
        session.payment_intent or session.id,
        from_stripe(session.amount_total or 0, currency),
        currency,
        user_hint=parse_uuid((session.metadata or {}).get("user_id") or ""),
    )
    return f"{result.status}:{result.reason}" if result.reason else result.status


def _charge_refunded(charge: Charge) -> str:
    """Stripe sends ``charge.refunded`` for every refund of a charge, with the running total.

    * The payment paid its invoice: a full refund refunds the invoice (once); a partial one is recorded on
      it and reverses nothing.
    * The payment paid nothing (kept for review, or not captured yet -- events arrive in any order): the
      refund is recorded on the payment and never touches an invoice, which another payment may have paid.
      A full refund closes it (``refunded``), and a capture arriving later for it is refused. A partial
      refund of a payment not captured yet is answered 503: Stripe delivers it again, after the capture.
    """
    reference = charge.payment_intent or charge.id
    currency = charge.currency.upper()
    amount = from_stripe(charge.amount, currency)
    refunded = from_stripe(charge.amount_refunded, currency)
    now = clock.iso(clock.now())
    payment = store.get_payment(PROVIDER, reference)
    if payment is None or not payment.paid_its_invoice:
        if payment is None and refunded < amount:
            raise Unavailable("A partial refund of a payment that is not captured yet; deliver it again later.")
        unpaid = payment or Payment(
            provider=PROVIDER,
            reference=reference,
            invoice_id=parse_uuid((charge.metadata or {}).get("invoice_id") or "") or "unknown",
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


def _dispatch(kind: str, obj: _Shape | None) -> str:
    if isinstance(obj, Charge):
        return _charge_refunded(obj)
    if not isinstance(obj, CheckoutSession):
        return "ignored"
    if kind == "checkout.session.completed":
        if obj.payment_status in {"paid", "no_payment_required"}:
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
    return "ignored"


def handle_webhook(payload: bytes, signature: str | None) -> dict[str, str]:
    """Verify, store, process, mark processed. A bad signature is a 400 and writes nothing."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, stripe_webhook_secret(), tolerance=stripe.Webhook.DEFAULT_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidSignature() from exc
    try:
        event, obj = parse_event(json.loads(payload))
    except (ValueError, RecursionError) as exc:  # the edge screens bodies; this is for direct callers
        raise MalformedRequest() from exc
    now = clock.iso(clock.now())
    if not store.receive_event(PROVIDER, event.id, event.type, payload.decode("utf-8"), now):
        return {"status": "duplicate", "event_id": event.id}
    try:
        outcome = _dispatch(event.type, obj)
    except Exception:
        metric("StripeEventsFailed")  # alarm on it: the event stays "received" and Stripe retries (5xx)
        raise
    store.event_processed(PROVIDER, event.id, outcome, clock.iso(clock.now()))
    return {"status": "processed", "event_id": event.id, "outcome": outcome}

"""Payment capture: the ONE service every payment path uses (manual, Stripe, free carts).

In one ``TransactWriteItems`` it marks the invoice paid -- only if it is pending, unexpired, and the
amount and currency match -- records the payment under (provider, reference) -- only once -- activates
every pending item, credits the tokens with one wallet update and one ledger entry per credit, and
writes the outbox events. Either all of it happens or none of it does.

A capture is one read (the invoice, and the wallet when the caller knows the user) and one transaction.
"""

from __future__ import annotations

from dataclasses import replace

from vbwd.domain import clock
from vbwd.domain.billing import CaptureResult, Invoice, Payment
from vbwd.domain.enums import InvoiceStatus, LedgerType, LineItemType
from vbwd.domain.errors import TransactionCancelled, Unavailable
from vbwd.domain.tokens import Credit, Wallet
from vbwd.observability import metric
from vbwd.services import retry
from vbwd.services import tokens as token_service
from vbwd.store import billing as store
from vbwd.store import outbox
from vbwd.store import tokens as token_store
from vbwd.store.tx import Transaction

MAX_ATTEMPTS = 12


def credits_for(invoice: Invoice) -> list[Credit]:
    """One ledger credit per bundle purchase (``purchase``) and one for the plan's included tokens
    (``subscription``), keyed by the business record so a credit can never be written twice."""
    credits = []
    for line in invoice.line_items:
        if line.token_amount <= 0:
            continue
        if line.type is LineItemType.TOKEN_BUNDLE:
            credits.append(
                Credit(
                    entry_key=f"purchase#{line.item_id}",
                    amount=line.token_amount,
                    type=LedgerType.PURCHASE,
                    reference_id=line.item_id,
                    description=f"Token bundle: {line.description}",
                )
            )
        elif line.type is LineItemType.SUBSCRIPTION:
            credits.append(
                Credit(
                    entry_key=f"subscription#{line.item_id}#{invoice.id}",
                    amount=line.token_amount,
                    type=LedgerType.SUBSCRIPTION,
                    reference_id=line.item_id,
                    description=f"Tokens included in {line.description}",
                )
            )
    return credits


def periods_for(invoice: Invoice, now: str) -> dict[str, tuple[str, str | None]]:
    """(starts_at, expires_at) of every subscription and add-on: calendar periods from the payment
    (``one_time`` never expires)."""
    start = clock.parse_iso(now)
    periods: dict[str, tuple[str, str | None]] = {}
    for line in invoice.line_items:
        if line.billing_period is not None:
            end = clock.period_end(start, line.billing_period)
            periods[line.item_id] = (now, clock.iso(end) if end else None)
    return periods


def _events(tx: Transaction, invoice: Invoice, payment: Payment, entries: int, tokens: int, now: str) -> None:
    outbox.stage_event(
        tx,
        "invoice.paid",
        invoice.id,
        {
            "invoice_id": invoice.id,
            "user_id": invoice.user_id,
            "total_minor": invoice.total_minor,
            "currency": invoice.currency,
            "provider": payment.provider,
            "payment_reference": payment.reference,
        },
        now,
    )
    for line in invoice.line_items:
        if line.type is LineItemType.SUBSCRIPTION:
            outbox.stage_event(
                tx,
                "subscription.activated",
                line.item_id,
                {
                    "subscription_id": line.item_id,
                    "user_id": invoice.user_id,
                    "plan_id": line.catalog_item_id,
                    "invoice_id": invoice.id,
                },
                now,
            )
        elif line.type is LineItemType.ADD_ON:
            outbox.stage_event(
                tx,
                "addon.activated",
                line.item_id,
                {
                    "addon_subscription_id": line.item_id,
                    "user_id": invoice.user_id,
                    "add_on_id": line.catalog_item_id,
                    "invoice_id": invoice.id,
                },
                now,
            )
    if tokens:
        outbox.stage_event(
            tx,
            "tokens.credited",
            invoice.id,
            {"user_id": invoice.user_id, "invoice_id": invoice.id, "amount": tokens, "entries": entries},
            now,
        )


def build(invoice: Invoice, payment: Payment, wallet: Wallet | None, now: str) -> tuple[Transaction, Wallet | None]:
    """The capture transaction for ``invoice`` and the wallet it leaves (exposed so that the cart limit
    can be checked against the largest capture)."""
    tx = Transaction()
    store.stage_capture(tx, invoice, payment, now, periods_for(invoice, now))
    credits = credits_for(invoice)
    after = token_store.stage(tx, invoice.user_id, wallet, credits, now).wallet if credits else None
    _events(tx, invoice, payment, len(credits), sum(c.amount for c in credits), now)
    return tx, after


def _judge(invoice: Invoice, payment: Payment, now: str) -> CaptureResult | None:
    """Why this payment cannot pay this invoice (None: it can). Records the payment when it activated
    nothing, so the money stays visible."""
    if invoice.status is InvoiceStatus.PAID:
        if (invoice.payment_provider, invoice.payment_reference) == (payment.provider, payment.reference):
            return CaptureResult("already_paid", invoice)
        _keep(payment, "needs_refund", "double_payment")
        return CaptureResult("double_payment", invoice, reason="double_payment")
    if invoice.status is not InvoiceStatus.PENDING or invoice.expires_at <= now:
        state = invoice.status.value if invoice.status is not InvoiceStatus.PENDING else "expired"
        _keep(payment, "needs_review", f"invoice_{state}")
        return CaptureResult("rejected", invoice, reason=f"invoice_{state}")
    if payment.currency != invoice.currency:
        _keep(payment, "needs_review", "currency_mismatch")
        return CaptureResult("rejected", invoice, reason="currency_mismatch")
    if payment.amount_minor != invoice.total_minor:
        _keep(payment, "needs_review", "amount_mismatch")
        return CaptureResult("rejected", invoice, reason="amount_mismatch")
    return None


def _keep(payment: Payment, status: str, reason: str) -> None:
    """Record money that activated nothing, once per reference; count it (an alarm watches these
    metrics) only when it is new, not on a provider's redelivery."""
    if store.record_payment(replace(payment, status=status, reason=reason)):
        metric("PaymentsNeedingRefund" if status == "needs_refund" else "PaymentsNeedingReview")


def _replayed_payment(existing: Payment, invoice: Invoice | None) -> CaptureResult:
    """The same (provider, reference) was seen before: answer as it was answered then."""
    if existing.status == "refunded":
        return CaptureResult("rejected", invoice, reason="payment_refunded")  # refunded before it could pay
    if invoice is not None and existing.invoice_id != invoice.id:
        return CaptureResult("rejected", invoice, reason="reference_used_for_another_invoice")
    if existing.status == "captured":
        return CaptureResult("already_paid", invoice)
    if existing.status == "needs_refund":
        return CaptureResult("double_payment", invoice, reason=existing.reason)
    return CaptureResult("rejected", invoice, reason=existing.reason)


def capture(
    invoice_id: str, provider: str, reference: str, amount_minor: int, currency: str, *, user_hint: str | None = None
) -> CaptureResult:
    """Capture a payment for an invoice exactly once. Never raises for a business outcome: a replay,
    a double payment or a mismatch is a result (and a recorded payment), so that a provider's webhook can
    acknowledge it. An unknown invoice is ``rejected`` with reason ``unknown_invoice``."""
    now = clock.iso(clock.now())
    payment = Payment(
        provider=provider,
        reference=reference,
        invoice_id=invoice_id,
        amount_minor=amount_minor,
        currency=currency.upper(),
        status="captured",
        reason=None,
        created_at=now,
    )
    invoice, wallet, wallet_known = store.read_for_capture(invoice_id, user_hint)
    for attempt in range(MAX_ATTEMPTS):
        if invoice is None:
            _keep(payment, "needs_review", "unknown_invoice")
            return CaptureResult("rejected", None, reason="unknown_invoice")
        verdict = _judge(invoice, payment, now)
        if verdict is not None:
            return verdict
        if not wallet_known:
            wallet = token_service.hints.get(invoice.user_id)  # a guess; a wrong one costs one retry
        tx, after = build(invoice, payment, wallet, now)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if reason := exc.failed("payment"):
                existing = store.payment_from(reason.item)
                if existing is not None:
                    return _replayed_payment(
                        existing, store.invoice_from(r.item if (r := exc.failed("invoice")) else None) or invoice
                    )
            if reason := exc.failed("invoice"):
                invoice = store.invoice_from(reason.item)  # changed meanwhile: judge it as it is now
                continue
            if exc.failed(token_store.WALLET):
                wallet, wallet_known = token_service.reported_wallet(exc, invoice.user_id, wallet), True
                continue
            if exc.only_conflicts:
                retry.backoff(attempt)
                continue
            raise
        if after is not None:
            token_service.hints.put(after)
        paid = replace(
            invoice,
            status=InvoiceStatus.PAID,
            paid_at=now,
            payment_provider=payment.provider,
            payment_reference=payment.reference,
            updated_at=now,
        )
        metric("InvoicesPaid")
        return CaptureResult("paid", paid, items_activated=len(invoice.line_items))
    raise Unavailable("The invoice is too busy to capture; retry.")

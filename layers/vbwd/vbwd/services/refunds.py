"""Refunds of a paid invoice (admin, or Stripe's full ``charge.refunded``), in one transaction.

The subscription and add-ons are cancelled, purchases marked refunded, and the tokens the invoice
credited are debited back with ``refund`` ledger entries -- never below zero: what the user already spent
is the *shortfall*, recorded on the refund for the admin. Refunding twice changes nothing.
A partial refund is recorded with its amount and reverses nothing.
"""

from __future__ import annotations

from dataclasses import replace

from vbwd.domain import clock
from vbwd.domain.billing import Invoice, RefundResult
from vbwd.domain.enums import InvoiceStatus, LedgerType
from vbwd.domain.errors import Conflict, NotFound, TransactionCancelled, Unavailable
from vbwd.domain.tokens import Credit, Wallet
from vbwd.observability import metric
from vbwd.services import capture, retry, users
from vbwd.services import tokens as token_service
from vbwd.store import billing as store
from vbwd.store import outbox
from vbwd.store import tokens as token_store
from vbwd.store.tx import Transaction

MAX_ATTEMPTS = 12


def reversals(invoice: Invoice, wallet: Wallet | None) -> tuple[list[Credit], int]:
    """The refund debits for what the invoice credited, clamped to what is available, and the shortfall."""
    left = wallet.available if wallet else 0
    debits, shortfall = [], 0
    for credit in capture.credits_for(invoice):
        take = min(credit.amount, left)
        left -= take
        shortfall += credit.amount - take
        if take > 0:
            debits.append(
                Credit(
                    entry_key=f"refund#{invoice.id}#{credit.entry_key}",
                    amount=-take,
                    type=LedgerType.REFUND,
                    reference_id=credit.reference_id,
                    description=f"Refund of invoice {invoice.invoice_number}",
                )
            )
    return debits, shortfall


def ended_periods(invoice: Invoice, now: str) -> frozenset[str]:
    """The invoice's subscriptions and add-ons whose paid period is over at ``now`` (the periods the
    capture computed from the payment time)."""
    if not invoice.paid_at:
        return frozenset()
    periods = capture.periods_for(invoice, invoice.paid_at)
    return frozenset(item for item, (_, ends) in periods.items() if ends is not None and ends <= now)


def build(
    invoice: Invoice, wallet: Wallet | None, *, reason: str, source: str, now: str
) -> tuple[Transaction, Wallet | None, int, int]:
    """The refund as ONE transaction: the invoice, its items, the payment, the token reversals and the
    event. Returns it with the wallet after it, the tokens reversed and the shortfall."""
    debits, shortfall = reversals(invoice, wallet)
    reversed_tokens = -sum(d.amount for d in debits)
    tx = Transaction()
    store.stage_refund(
        tx,
        invoice,
        reason=reason,
        source=source,
        tokens_reversed=reversed_tokens,
        shortfall=shortfall,
        now=now,
        ended=ended_periods(invoice, now),
    )
    after = token_store.stage(tx, invoice.user_id, wallet, debits, now).wallet if debits else None
    outbox.stage_event(
        tx,
        "invoice.refunded",
        invoice.id,
        {
            "invoice_id": invoice.id,
            "user_id": invoice.user_id,
            "reason": reason,
            "source": source,
            "tokens_reversed": reversed_tokens,
            "shortfall": shortfall,
        },
        now,
    )
    return tx, after, reversed_tokens, shortfall


def refund_invoice(invoice_id: str, reason: str, source: str = "admin", *, admin_id: str | None = None) -> RefundResult:
    if admin_id is not None:
        users.require_active_admin(admin_id)
    for attempt in range(MAX_ATTEMPTS):
        invoice = store.get_invoice(invoice_id)
        if invoice is None:
            raise NotFound("Invoice not found.")
        if invoice.status is InvoiceStatus.REFUNDED:
            return RefundResult("already_refunded", invoice)
        if invoice.status is not InvoiceStatus.PAID:
            raise Conflict(
                f"Only a paid invoice can be refunded; this one is {invoice.status.value}.", code="invoice_not_paid"
            )
        wallet = token_service.wallet_for_write(invoice.user_id)
        now = clock.iso(clock.now())
        tx, after, reversed_tokens, shortfall = build(invoice, wallet, reason=reason, source=source, now=now)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if exc.failed("refund"):
                return RefundResult("already_refunded", store.get_invoice(invoice_id) or invoice)
            if exc.failed(token_store.WALLET):
                token_service.reported_wallet(exc, invoice.user_id, wallet)  # refresh the hint, then retry
                continue
            if exc.failed("invoice") or exc.only_conflicts:
                retry.backoff(attempt)
                continue
            raise
        if after is not None:
            token_service.hints.put(after)
        metric("InvoicesRefunded")
        refunded = replace(invoice, status=InvoiceStatus.REFUNDED, refunded_at=now, refunded_minor=invoice.total_minor)
        return RefundResult("refunded", refunded, tokens_reversed=reversed_tokens, shortfall=shortfall)
    raise Unavailable("The invoice is too busy to refund; retry.")


def record_partial(invoice_id: str, refunded_minor: int) -> RefundResult:
    invoice = store.get_invoice(invoice_id)
    if invoice is None:
        raise NotFound("Invoice not found.")
    store.record_partial_refund(invoice, refunded_minor, clock.iso(clock.now()))
    return RefundResult("partial_recorded", store.get_invoice(invoice_id) or invoice)

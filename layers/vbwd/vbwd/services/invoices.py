"""Invoices after checkout: reading them, cancelling a pending one, and expiring abandoned ones."""

from __future__ import annotations

from vbwd.domain import clock
from vbwd.domain.billing import Invoice
from vbwd.domain.enums import InvoiceStatus
from vbwd.domain.errors import Conflict, DomainError, NotFound, TransactionCancelled
from vbwd.observability import logger, metric
from vbwd.store import billing as store
from vbwd.store import outbox
from vbwd.store.errors import StorageFailure
from vbwd.store.tx import Transaction

MAX_ATTEMPTS = 5


def get_for_user(user_id: str, invoice_id: str) -> Invoice:
    """Another user's invoice is a 404: its existence is not disclosed."""
    invoice = store.get_invoice(invoice_id)
    if invoice is None or invoice.user_id != user_id:
        raise NotFound("Invoice not found.")
    return invoice


def get(invoice_id: str) -> Invoice:
    invoice = store.get_invoice(invoice_id)
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice


def list_for_user(
    user_id: str, *, limit: int, cursor: str | None, status: InvoiceStatus | None = None
) -> tuple[list[Invoice], str | None]:
    return store.list_user_invoices(user_id, limit=limit, cursor=cursor, status=status)


def list_all(
    *, limit: int, cursor: str | None, status: InvoiceStatus | None = None, user_id: str | None = None
) -> tuple[list[Invoice], str | None]:
    if user_id is not None:
        return store.list_user_invoices(user_id, limit=limit, cursor=cursor, status=status)
    return store.list_invoices(limit=limit, cursor=cursor, status=status)


def _close(invoice: Invoice, status: InvoiceStatus, now: str, *, expired_before: str | None = None) -> None:
    tx = Transaction()
    store.stage_close_pending(tx, invoice, status, now, expired_before=expired_before)
    outbox.stage_event(
        tx,
        f"invoice.{status.value}",
        invoice.id,
        {"invoice_id": invoice.id, "user_id": invoice.user_id, "status": status.value},
        now,
    )
    tx.commit()


def cancel(user_id: str, invoice_id: str) -> Invoice:
    """Cancel a pending invoice and all its pending items in one transaction. Cancelling twice is a
    no-op; a paid, expired or refunded invoice is a 409."""
    for _ in range(MAX_ATTEMPTS):
        invoice = get_for_user(user_id, invoice_id)
        if invoice.status is InvoiceStatus.CANCELLED:
            return invoice
        if invoice.status is not InvoiceStatus.PENDING:
            raise Conflict(
                f"The invoice is {invoice.status.value}; only a pending invoice can be cancelled.",
                code=f"invoice_{invoice.status.value}",
            )
        try:
            _close(invoice, InvoiceStatus.CANCELLED, clock.iso(clock.now()))
        except TransactionCancelled as exc:
            if exc.failed("invoice") or exc.only_conflicts:
                continue  # paid, expired or cancelled concurrently: re-read and answer from the new state
            raise
        return get_for_user(user_id, invoice_id)
    raise Conflict("The invoice changed while cancelling it; retry.", code="invoice_busy")


def expire_due(now: str | None = None) -> dict[str, int]:
    """Move pending invoices past ``expires_at`` (and their items) to ``expired``. Each invoice is its own
    transaction, conditioned on still being pending and past due, so a payment that wins the race wins.

    One invoice's failure never stops the run or hides the invoices behind it: it is logged, counted
    (``InvoiceExpiryFailed``: alarm on it) and tried again next hour. Only a lost race is quiet."""
    now = now or clock.iso(clock.now())
    counts = {"expired": 0, "skipped": 0, "failed": 0}
    for invoice_id in store.expired_pending(now):
        try:
            invoice = store.get_invoice(invoice_id)
            if invoice is None or invoice.status is not InvoiceStatus.PENDING:
                continue
            _close(invoice, InvoiceStatus.EXPIRED, now, expired_before=now)
            counts["expired"] += 1
        except TransactionCancelled as exc:
            if exc.failed("invoice") or exc.only_conflicts:
                counts["skipped"] += 1  # paid or cancelled meanwhile (or being paid now): the payment wins
                continue
            _failed(invoice_id, exc, counts)
        except (DomainError, StorageFailure) as exc:
            _failed(invoice_id, exc, counts)
    return counts


def _failed(invoice_id: str, exc: Exception, counts: dict[str, int]) -> None:
    counts["failed"] += 1
    logger.error("invoice expiry failed", extra={"invoice_id": invoice_id, "error": repr(exc)})
    metric("InvoiceExpiryFailed")

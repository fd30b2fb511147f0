"""Manual capture: an admin, or another payment provider signing with ``VBWD_PAYMENT_WEBHOOK_SECRET``.

Anyone else is refused: an anonymous caller is a 401, a user a 403 (a user can never mark an invoice
paid). Outcomes that activate nothing are errors for this caller: a double payment or a closed invoice is
409, a wrong amount or currency 422 -- and the payment is recorded for review either way.
"""

from __future__ import annotations

from vbwd.domain import money
from vbwd.domain.billing import CaptureResult
from vbwd.domain.enums import Role
from vbwd.domain.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from vbwd.services import capture, invoices, signatures, users
from vbwd.settings import payment_webhook_secret

MANUAL = "manual"


def authorize_capture(authorization: str | None, signature: str | None, body: bytes) -> str:
    """Who is capturing: ``admin:<id>`` or ``signed``. 401 / 403 otherwise."""
    if authorization:
        from vbwd.services import authorization as authz

        # One GetItem of the account: a disabled one is a 401, a demoted admin's token is no longer an admin's.
        principal = authz.current(authz.authenticate(authorization))
        if principal.role is not Role.ADMIN:
            raise Forbidden("Only an admin or a signed provider callback can capture a payment.")
        return f"admin:{principal.subject}"
    if signature:
        if signatures.verify(body, signature, payment_webhook_secret()):
            return "signed"
        raise Unauthenticated("The payment signature is invalid or stale.", code="invalid_signature")
    raise Unauthenticated("Send an admin token or an X-VBWD-Signature header.")


def _answer(result: CaptureResult) -> CaptureResult:
    if result.status in {"paid", "already_paid"}:
        return result
    if result.reason == "unknown_invoice":
        raise NotFound("Invoice not found.")
    if result.status == "double_payment":
        raise Conflict(
            "The invoice was already paid by another payment; this one is recorded for a refund.",
            code="invoice_already_paid",
        )
    if result.reason in {"amount_mismatch", "currency_mismatch"}:
        raise ValidationFailed(
            f"The payment does not match the invoice ({result.reason}); it is recorded "
            f"for review and activates nothing.",
            code=result.reason,
            details=_mismatch(result),
        )
    raise Conflict(
        f"The invoice cannot be paid ({result.reason}); the payment is recorded for review.",
        code=result.reason or "invoice_closed",
    )


def _mismatch(result: CaptureResult) -> list[dict[str, str]]:
    invoice = result.invoice
    if invoice is None:
        return []
    if result.reason == "currency_mismatch":
        return [{"field": "currency", "location": "body", "message": f"must be {invoice.currency}", "type": "mismatch"}]
    total = money.format_minor(invoice.total_minor, invoice.currency)
    message = f"must equal the invoice total, {total} {invoice.currency}"
    return [{"field": "amount", "location": "body", "message": message, "type": "mismatch"}]


def capture_payment(
    invoice_id: str, reference: str, amount_minor: int, currency: str, provider: str = MANUAL
) -> CaptureResult:
    return _answer(capture.capture(invoice_id, provider, reference, amount_minor, currency))


def mark_paid(invoice_id: str, reference: str, admin_id: str) -> CaptureResult:
    """The admin convenience: the amount is the invoice's total."""
    users.require_active_admin(admin_id)
    invoice = invoices.get(invoice_id)
    return _answer(capture.capture(invoice_id, MANUAL, reference, invoice.total_minor, invoice.currency))

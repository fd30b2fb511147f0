"""POST /api/v1/admin/invoices/{invoice_id}/refund -- refund a paid invoice: cancel, reverse tokens."""

from vbwd.api import http
from vbwd.api.schemas.payments import RefundInvoiceRequest, RefundResponse
from vbwd.services import refunds

app = http.resolver()


@app.post("/api/v1/admin/invoices/<invoice_id>/refund")
def refund(invoice_id: str, body: RefundInvoiceRequest) -> RefundResponse:
    admin = http.require(app)
    invoice_id = http.uuid_param(invoice_id, "invoice_id")
    return RefundResponse.of(refunds.refund_invoice(invoice_id, body.reason, admin_id=admin.subject))


lambda_handler = http.entrypoint(app, metrics=True)

"""POST /api/v1/admin/invoices/{invoice_id}/mark-paid -- capture the invoice's total manually."""

from vbwd.api import http
from vbwd.api.schemas.payments import CaptureResponse, MarkPaidRequest
from vbwd.services import payments

app = http.resolver()


@app.post("/api/v1/admin/invoices/<invoice_id>/mark-paid")
def mark_paid(invoice_id: str, body: MarkPaidRequest) -> CaptureResponse:
    admin = http.require(app)
    invoice_id = http.uuid_param(invoice_id, "invoice_id")
    return CaptureResponse.of(payments.mark_paid(invoice_id, body.payment_reference, admin.subject), invoice_id)


lambda_handler = http.entrypoint(app, metrics=True)

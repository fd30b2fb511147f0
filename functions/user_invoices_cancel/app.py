"""POST /api/v1/user/invoices/{invoice_id}/cancel -- cancel a pending invoice and its items."""

from vbwd.api import http
from vbwd.api.schemas.billing import InvoiceView
from vbwd.services import invoices

app = http.resolver()


@app.post("/api/v1/user/invoices/<invoice_id>/cancel")
def cancel(invoice_id: str) -> InvoiceView:
    caller = http.require(app)
    return InvoiceView.of(invoices.cancel(caller.subject, http.uuid_param(invoice_id, "invoice_id")))


lambda_handler = http.entrypoint(app)

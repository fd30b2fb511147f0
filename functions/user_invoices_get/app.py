"""GET /api/v1/user/invoices/{invoice_id} -- one of the caller's invoices with its line items."""

from vbwd.api import http
from vbwd.api.schemas.billing import InvoiceView
from vbwd.services import invoices

app = http.resolver()


@app.get("/api/v1/user/invoices/<invoice_id>")
def get_invoice(invoice_id: str) -> InvoiceView:
    caller = http.require(app)
    return InvoiceView.of(invoices.get_for_user(caller.subject, http.uuid_param(invoice_id, "invoice_id")))


lambda_handler = http.entrypoint(app)

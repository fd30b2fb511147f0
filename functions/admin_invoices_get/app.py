"""GET /api/v1/admin/invoices/{invoice_id} -- any invoice."""

from vbwd.api import http
from vbwd.api.schemas.billing import InvoiceView
from vbwd.services import invoices

app = http.resolver()


@app.get("/api/v1/admin/invoices/<invoice_id>")
def get_invoice(invoice_id: str) -> InvoiceView:
    http.require(app)
    return InvoiceView.of(invoices.get(http.uuid_param(invoice_id, "invoice_id")))


lambda_handler = http.entrypoint(app)

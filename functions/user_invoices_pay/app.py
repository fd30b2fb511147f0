"""POST /api/v1/user/invoices/{invoice_id}/pay -- open a Stripe Checkout Session for a pending invoice."""

from vbwd.api import http
from vbwd.api.schemas.payments import PayResponse
from vbwd.services import stripe_payments

app = http.resolver()


@app.post("/api/v1/user/invoices/<invoice_id>/pay")
def pay(invoice_id: str) -> PayResponse:
    caller = http.require(app)
    url, session_id = stripe_payments.create_checkout_session(caller.subject, http.uuid_param(invoice_id, "invoice_id"))
    return PayResponse(checkout_url=url, session_id=session_id)


lambda_handler = http.entrypoint(app)

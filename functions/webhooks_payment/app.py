"""POST /api/v1/webhooks/payment -- capture a payment: an admin JWT, or a provider's HMAC signature.

No authorizer on this route: the caller is authenticated here, before the body is read, so that a
provider without a JWT can sign with ``X-VBWD-Signature`` (see README). Anonymous is 401, a user 403.
"""

from vbwd.api import http
from vbwd.api.schemas.payments import CaptureResponse, ManualPaymentRequest
from vbwd.services import payments, signatures

app = http.resolver()
BODY = ManualPaymentRequest  # validated after authentication (http.parse); the schema for OpenAPI


@app.post("/api/v1/webhooks/payment")
def capture() -> CaptureResponse:
    raw = http.raw_body(app)
    payments.authorize_capture(http.header(app, "authorization"), http.header(app, signatures.HEADER), raw)
    body = http.parse(ManualPaymentRequest, raw)
    result = payments.capture_payment(
        body.invoice_id, body.payment_reference, body.amount_minor, str(body.currency), body.provider
    )
    return CaptureResponse.of(result, body.invoice_id)


lambda_handler = http.entrypoint(app, metrics=True)

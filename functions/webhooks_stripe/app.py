"""POST /api/v1/webhooks/stripe -- Stripe events, verified with ``Stripe-Signature`` (no JWT).

A bad, missing or stale signature is a 400 and nothing is written. Any failure while processing is a 5xx,
so Stripe delivers the event again; a processed duplicate is a 200 no-op.
"""

from vbwd.api import http
from vbwd.api.schemas.payments import WebhookAck
from vbwd.services import stripe_payments

app = http.resolver()


@app.post("/api/v1/webhooks/stripe")
def webhook() -> WebhookAck:
    raw = http.raw_body(app)
    return WebhookAck(**stripe_payments.handle_webhook(raw, http.header(app, "stripe-signature")))


lambda_handler = http.entrypoint(app, metrics=True)

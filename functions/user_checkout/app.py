"""POST /api/v1/user/checkout -- one invoice and its pending items, in one transaction (201)."""

from vbwd.api import http
from vbwd.api.schemas.billing import CheckoutRequest, CheckoutResponse, checkout_response
from vbwd.api.schemas.common import checked_key
from vbwd.services import checkout

app = http.resolver()


@app.post("/api/v1/user/checkout")
def create(body: CheckoutRequest) -> http.Response[CheckoutResponse]:
    caller = http.require(app)
    cart = checkout.Cart(body.plan_id, tuple(body.token_bundle_ids), tuple(body.add_on_ids))
    order = checkout.checkout(caller.subject, cart, checked_key(http.header(app, "idempotency-key")))
    headers = {"Idempotent-Replayed": "true"} if order.replayed else None
    return http.respond(checkout_response(order), 201, headers)


lambda_handler = http.entrypoint(app, metrics=True)

"""POST /api/v1/user/tokens/refund -- credit back (part of) a usage; never more than was used."""

from vbwd.api import http
from vbwd.api.schemas.common import checked_key
from vbwd.api.schemas.tokens import MovementResponse, RefundRequest, replay_headers
from vbwd.services import tokens

app = http.resolver()


@app.post("/api/v1/user/tokens/refund")
def refund(body: RefundRequest) -> http.Response[MovementResponse]:
    caller = http.require(app)
    outcome = tokens.refund_usage(
        caller.subject, body.transaction_id, body.amount, checked_key(http.header(app, "idempotency-key"))
    )
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

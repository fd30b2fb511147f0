"""POST /api/v1/service/users/{user_id}/tokens/refund -- credit back a user's usage (server-side)."""

from vbwd.api import http
from vbwd.api.schemas.common import checked_key
from vbwd.api.schemas.tokens import MovementResponse, RefundRequest, replay_headers
from vbwd.services import tokens

app = http.resolver()


@app.post("/api/v1/service/users/<user_id>/tokens/refund")
def refund(user_id: str, body: RefundRequest) -> http.Response[MovementResponse]:
    http.require(app)
    outcome = tokens.refund_usage(
        http.uuid_param(user_id, "user_id"),
        body.transaction_id,
        body.amount,
        checked_key(http.header(app, "idempotency-key")),
        by_service=True,
    )
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

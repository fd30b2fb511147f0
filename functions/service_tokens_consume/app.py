"""POST /api/v1/service/users/{user_id}/tokens/consume -- meter a user's usage from a server-side caller.

The body is validated here with ``ConsumeRequest`` (``http.parse``), as on the user route: the hot path.
"""

from vbwd.api import http
from vbwd.api.schemas.tokens import ConsumeRequest, MovementResponse, idempotency_key, replay_headers
from vbwd.services import tokens

app = http.resolver()
BODY = ConsumeRequest


@app.post("/api/v1/service/users/<user_id>/tokens/consume")
def consume(user_id: str) -> http.Response[MovementResponse]:
    http.require(app)
    body = http.parse(ConsumeRequest, http.raw_body(app))
    key = idempotency_key(body.idempotency_key, http.header(app, "idempotency-key"))
    outcome = tokens.consume(
        http.uuid_param(user_id, "user_id"), body.amount, key, body.description, body.metadata, by_service=True
    )
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

"""POST /api/v1/service/users/{user_id}/tokens/consume -- meter a user's usage from a server-side caller."""

from vbwd.api import http
from vbwd.api.schemas.tokens import ConsumeRequest, MovementResponse, idempotency_key, replay_headers
from vbwd.services import tokens

app = http.resolver()


@app.post("/api/v1/service/users/<user_id>/tokens/consume")
def consume(user_id: str, body: ConsumeRequest) -> http.Response[MovementResponse]:
    http.require(app)
    key = idempotency_key(body.idempotency_key, http.header(app, "idempotency-key"))
    outcome = tokens.consume(http.uuid_param(user_id, "user_id"), body.amount, key, body.description, body.metadata)
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

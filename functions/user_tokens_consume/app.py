"""POST /api/v1/user/tokens/consume -- debit tokens once per idempotency key (the metering hot path)."""

from vbwd.api import http
from vbwd.api.schemas.tokens import ConsumeRequest, MovementResponse, idempotency_key, replay_headers
from vbwd.services import tokens

app = http.resolver()


@app.post("/api/v1/user/tokens/consume")
def consume(body: ConsumeRequest) -> http.Response[MovementResponse]:
    caller = http.require(app)
    key = idempotency_key(body.idempotency_key, http.header(app, "idempotency-key"))
    outcome = tokens.consume(caller.subject, body.amount, key, body.description, body.metadata)
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

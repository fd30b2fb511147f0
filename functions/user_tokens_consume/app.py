"""POST /api/v1/user/tokens/consume -- debit tokens once per idempotency key (the metering hot path).

The body is validated here with ``ConsumeRequest`` (``http.parse``: the same 400/422 answers) rather than
by the resolver's generic validation, which costs more than the rest of the handler on this path;
``BODY`` gives the OpenAPI document its schema.
"""

from vbwd.api import http
from vbwd.api.schemas.tokens import ConsumeRequest, MovementResponse, idempotency_key, replay_headers
from vbwd.services import tokens

app = http.resolver()
BODY = ConsumeRequest


@app.post("/api/v1/user/tokens/consume")
def consume() -> http.Response[MovementResponse]:
    caller = http.require(app)
    body = http.parse(ConsumeRequest, http.raw_body(app))
    key = idempotency_key(body.idempotency_key, http.header(app, "idempotency-key"))
    outcome = tokens.consume(caller.subject, body.amount, key, body.description, body.metadata)
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

"""POST /api/v1/admin/users/{user_id}/tokens -- an admin bonus or adjustment, with its ledger entry."""

from vbwd.api import http
from vbwd.api.schemas.tokens import GrantRequest, MovementResponse, replay_headers
from vbwd.services import tokens

app = http.resolver()


@app.post("/api/v1/admin/users/<user_id>/tokens")
def grant(user_id: str, body: GrantRequest) -> http.Response[MovementResponse]:
    admin = http.require(app)
    outcome = tokens.grant(
        http.uuid_param(user_id, "user_id"), body.amount, body.reason, body.idempotency_key, admin.subject
    )
    return http.respond(MovementResponse.of(outcome), headers=replay_headers(outcome))


lambda_handler = http.entrypoint(app)

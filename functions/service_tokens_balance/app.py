"""GET /api/v1/service/users/{user_id}/tokens/balance -- a user's balance, for a server-side caller."""

from vbwd.api import http
from vbwd.api.schemas.tokens import BalanceView
from vbwd.services import tokens

app = http.resolver()


@app.get("/api/v1/service/users/<user_id>/tokens/balance")
def balance(user_id: str) -> BalanceView:
    http.require(app)
    return BalanceView.of(tokens.balance(http.uuid_param(user_id, "user_id"), by_service=True))


lambda_handler = http.entrypoint(app)

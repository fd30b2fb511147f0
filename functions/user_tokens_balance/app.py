"""GET /api/v1/user/tokens/balance -- the caller's balance (exactly one GetItem)."""

from vbwd.api import http
from vbwd.api.schemas.tokens import BalanceView
from vbwd.services import tokens

app = http.resolver()


@app.get("/api/v1/user/tokens/balance")
def balance() -> BalanceView:
    return BalanceView.of(tokens.balance(http.require(app).subject))


lambda_handler = http.entrypoint(app)

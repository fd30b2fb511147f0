"""POST /api/v1/auth/logout -- revoke a refresh token's session (204, idempotent)."""

from vbwd.api import http
from vbwd.api.schemas.auth import RefreshRequest
from vbwd.services import auth

app = http.resolver()


@app.post("/api/v1/auth/logout")
def logout(body: RefreshRequest) -> http.Response[None]:
    auth.logout(body.refresh_token)
    return http.no_content()


lambda_handler = http.entrypoint(app)

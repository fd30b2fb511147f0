"""POST /api/v1/auth/refresh -- rotate a refresh token into a new pair."""

from vbwd.api import http
from vbwd.api.schemas.auth import AuthResponse, RefreshRequest
from vbwd.services import auth

app = http.resolver()


@app.post("/api/v1/auth/refresh")
def refresh(body: RefreshRequest) -> AuthResponse:
    return AuthResponse.of(auth.refresh(body.refresh_token))


lambda_handler = http.entrypoint(app)

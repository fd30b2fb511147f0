"""POST /api/v1/auth/login -- exchange credentials for a token pair."""

from vbwd.api import http
from vbwd.api.schemas.auth import AuthResponse, LoginRequest
from vbwd.services import auth

app = http.resolver()


@app.post("/api/v1/auth/login")
def login(body: LoginRequest) -> AuthResponse:
    return AuthResponse.of(auth.login(body.email, body.password))


lambda_handler = http.entrypoint(app)

"""POST /api/v1/auth/register -- create an account and its first session (201)."""

from vbwd.api import http
from vbwd.api.schemas.auth import AuthResponse, RegisterRequest
from vbwd.services import auth

app = http.resolver()


@app.post("/api/v1/auth/register")
def register(body: RegisterRequest) -> http.Response[AuthResponse]:
    return http.respond(AuthResponse.of(auth.register(body.email, body.password)), 201)


lambda_handler = http.entrypoint(app)

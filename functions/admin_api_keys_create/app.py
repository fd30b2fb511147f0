"""POST /api/v1/admin/api-keys -- a service API key; the secret is shown once (201)."""

from vbwd.api import http
from vbwd.api.schemas.tokens import ApiKeyCreate, ApiKeyCreated
from vbwd.services import api_keys

app = http.resolver()


@app.post("/api/v1/admin/api-keys")
def create(body: ApiKeyCreate) -> http.Response[ApiKeyCreated]:
    admin = http.require(app)
    key, secret = api_keys.create(body.name, admin.subject)
    return http.respond(ApiKeyCreated.with_secret(key, secret), 201)


lambda_handler = http.entrypoint(app)

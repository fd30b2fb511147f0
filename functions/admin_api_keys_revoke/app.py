"""POST /api/v1/admin/api-keys/{key_id}/revoke -- stop a service key (within the authorizer cache TTL)."""

from vbwd.api import http
from vbwd.api.schemas.tokens import ApiKeyView
from vbwd.services import api_keys

app = http.resolver()


@app.post("/api/v1/admin/api-keys/<key_id>/revoke")
def revoke(key_id: str) -> ApiKeyView:
    http.require(app)
    return ApiKeyView.of(api_keys.revoke(http.uuid_param(key_id, "key_id")))


lambda_handler = http.entrypoint(app)

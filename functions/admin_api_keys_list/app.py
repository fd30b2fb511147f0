"""GET /api/v1/admin/api-keys -- service API keys, newest first (never the secrets)."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.tokens import ApiKeyPage, ApiKeyView
from vbwd.services import api_keys

app = http.resolver()


@app.get("/api/v1/admin/api-keys")
def list_keys(
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
) -> ApiKeyPage:
    http.require(app)
    keys, next_cursor = api_keys.list_keys(limit, cursor)
    return ApiKeyPage(items=[ApiKeyView.of(key) for key in keys], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)

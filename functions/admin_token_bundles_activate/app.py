"""POST /api/v1/admin/token-bundles/{id}/activate -- offer it again (a stale version is 409)."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.catalog import TokenBundleView, VersionRequest
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/token-bundles/<item_id>/activate")
def activate(
    item_id: str, body: Annotated[VersionRequest | None, http.Body()] = None
) -> http.Response[TokenBundleView]:
    http.require(app)
    version = http.expected_version(app, body.version if body else None)
    item = catalog.set_active(CatalogKind.TOKEN_BUNDLE, http.uuid_param(item_id), True, version)
    return http.respond(TokenBundleView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

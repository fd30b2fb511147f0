"""PUT /api/v1/admin/token-bundles/{id} -- a partial update; a stale version (body or If-Match) is 409."""

from vbwd.api import http
from vbwd.api.schemas.catalog import TokenBundleUpdate, TokenBundleView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.put("/api/v1/admin/token-bundles/<item_id>")
def update(item_id: str, body: TokenBundleUpdate) -> http.Response[TokenBundleView]:
    http.require(app)
    version = http.expected_version(app, body.version)
    item = catalog.update(CatalogKind.TOKEN_BUNDLE, http.uuid_param(item_id), body.changes(), version)
    return http.respond(TokenBundleView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

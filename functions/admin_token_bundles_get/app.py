"""GET /api/v1/admin/token-bundles/{id} -- one token bundle, active or not."""

from vbwd.api import http
from vbwd.api.schemas.catalog import TokenBundleView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/admin/token-bundles/<item_id>")
def get_item(item_id: str) -> http.Response[TokenBundleView]:
    http.require(app)
    item = catalog.get(CatalogKind.TOKEN_BUNDLE, http.uuid_param(item_id))
    return http.respond(TokenBundleView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

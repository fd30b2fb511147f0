"""GET /api/v1/token-bundles/{id} -- one active token bundle; an inactive or unknown one is 404 (no auth)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicTokenBundleView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/token-bundles/<item_id>")
def get_item(item_id: str) -> http.Response[PublicTokenBundleView]:
    item = catalog.get_public(CatalogKind.TOKEN_BUNDLE, http.uuid_param(item_id))
    return http.respond(PublicTokenBundleView.of(item), headers=http.public_cache())


lambda_handler = http.entrypoint(app)

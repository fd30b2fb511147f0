"""GET /api/v1/token-bundles -- the active token bundles, in display order (no auth, briefly cacheable)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicTokenBundleList
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/token-bundles")
def list_items() -> http.Response[PublicTokenBundleList]:
    return http.respond(
        PublicTokenBundleList.of(catalog.list_public(CatalogKind.TOKEN_BUNDLE)), headers=http.public_cache()
    )


lambda_handler = http.entrypoint(app)

"""POST /api/v1/admin/token-bundles -- create a token bundle (201)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import TokenBundleCreate, TokenBundleView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/token-bundles")
def create(body: TokenBundleCreate) -> http.Response[TokenBundleView]:
    http.require(app)
    item = catalog.create(CatalogKind.TOKEN_BUNDLE, **body.fields())
    return http.respond(TokenBundleView.of(item), 201, http.etag(item.version))


lambda_handler = http.entrypoint(app)

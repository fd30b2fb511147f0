"""GET /api/v1/addons -- the active add-ons, in display order (no auth, briefly cacheable)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicAddOnList
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/addons")
def list_items() -> http.Response[PublicAddOnList]:
    return http.respond(PublicAddOnList.of(catalog.list_public(CatalogKind.ADD_ON)), headers=http.public_cache())


lambda_handler = http.entrypoint(app)

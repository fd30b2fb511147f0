"""GET /api/v1/addons/{id} -- one active add-on; an inactive or unknown one is 404 (no auth)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicAddOnView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/addons/<item_id>")
def get_item(item_id: str) -> http.Response[PublicAddOnView]:
    item = catalog.get_public(CatalogKind.ADD_ON, http.uuid_param(item_id))
    return http.respond(PublicAddOnView.of(item), headers=http.public_cache())


lambda_handler = http.entrypoint(app)

"""GET /api/v1/admin/addons/{id} -- one add-on, active or not."""

from vbwd.api import http
from vbwd.api.schemas.catalog import AddOnView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/admin/addons/<item_id>")
def get_item(item_id: str) -> http.Response[AddOnView]:
    http.require(app)
    item = catalog.get(CatalogKind.ADD_ON, http.uuid_param(item_id))
    return http.respond(AddOnView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

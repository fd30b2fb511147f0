"""PUT /api/v1/admin/addons/{id} -- a partial update; a stale version (body or If-Match) is 409."""

from vbwd.api import http
from vbwd.api.schemas.catalog import AddOnUpdate, AddOnView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.put("/api/v1/admin/addons/<item_id>")
def update(item_id: str, body: AddOnUpdate) -> http.Response[AddOnView]:
    http.require(app)
    version = http.expected_version(app, body.version)
    item = catalog.update(CatalogKind.ADD_ON, http.uuid_param(item_id), body.changes(), version)
    return http.respond(AddOnView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

"""POST /api/v1/admin/addons -- create a add-on (201)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import AddOnCreate, AddOnView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/addons")
def create(body: AddOnCreate) -> http.Response[AddOnView]:
    http.require(app)
    item = catalog.create(CatalogKind.ADD_ON, **body.fields())
    return http.respond(AddOnView.of(item), 201, http.etag(item.version))


lambda_handler = http.entrypoint(app)

"""POST /api/v1/admin/addons/{id}/deactivate -- hide it from the public lists (a stale version is 409)."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.catalog import AddOnView, VersionRequest
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/addons/<item_id>/deactivate")
def deactivate(item_id: str, body: Annotated[VersionRequest | None, http.Body()] = None) -> http.Response[AddOnView]:
    http.require(app)
    version = http.expected_version(app, body.version if body else None)
    item = catalog.set_active(CatalogKind.ADD_ON, http.uuid_param(item_id), False, version)
    return http.respond(AddOnView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

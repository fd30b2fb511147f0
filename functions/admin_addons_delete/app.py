"""DELETE /api/v1/admin/addons/{id} -- 204; 409 ``in_use`` when anything references it (deactivate instead)."""

from vbwd.api import http
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.delete("/api/v1/admin/addons/<item_id>")
def delete(item_id: str) -> http.Response[None]:
    http.require(app)
    catalog.delete(CatalogKind.ADD_ON, http.uuid_param(item_id))
    return http.no_content()


lambda_handler = http.entrypoint(app)

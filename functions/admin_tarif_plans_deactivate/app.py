"""POST /api/v1/admin/tarif-plans/{id}/deactivate -- hide it from the public lists (a stale version is 409)."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.catalog import TarifPlanView, VersionRequest
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/tarif-plans/<item_id>/deactivate")
def deactivate(
    item_id: str, body: Annotated[VersionRequest | None, http.Body()] = None
) -> http.Response[TarifPlanView]:
    http.require(app)
    version = http.expected_version(app, body.version if body else None)
    item = catalog.set_active(CatalogKind.TARIFF_PLAN, http.uuid_param(item_id), False, version)
    return http.respond(TarifPlanView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

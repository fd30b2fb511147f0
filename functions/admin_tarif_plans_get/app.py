"""GET /api/v1/admin/tarif-plans/{id} -- one tariff plan, active or not."""

from vbwd.api import http
from vbwd.api.schemas.catalog import TarifPlanView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/admin/tarif-plans/<item_id>")
def get_item(item_id: str) -> http.Response[TarifPlanView]:
    http.require(app)
    item = catalog.get(CatalogKind.TARIFF_PLAN, http.uuid_param(item_id))
    return http.respond(TarifPlanView.of(item), headers=http.etag(item.version))


lambda_handler = http.entrypoint(app)

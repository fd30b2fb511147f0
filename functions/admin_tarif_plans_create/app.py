"""POST /api/v1/admin/tarif-plans -- create a tariff plan (201)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import TarifPlanCreate, TarifPlanView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.post("/api/v1/admin/tarif-plans")
def create(body: TarifPlanCreate) -> http.Response[TarifPlanView]:
    http.require(app)
    item = catalog.create(CatalogKind.TARIFF_PLAN, **body.fields())
    return http.respond(TarifPlanView.of(item), 201, http.etag(item.version))


lambda_handler = http.entrypoint(app)

"""GET /api/v1/tarif-plans/{id} -- one active tariff plan; an inactive or unknown one is 404 (no auth)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicTarifPlanView
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/tarif-plans/<item_id>")
def get_item(item_id: str) -> http.Response[PublicTarifPlanView]:
    item = catalog.get_public(CatalogKind.TARIFF_PLAN, http.uuid_param(item_id))
    return http.respond(PublicTarifPlanView.of(item), headers=http.public_cache())


lambda_handler = http.entrypoint(app)

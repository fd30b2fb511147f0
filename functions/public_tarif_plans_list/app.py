"""GET /api/v1/tarif-plans -- the active tariff plans, in display order (no auth, briefly cacheable)."""

from vbwd.api import http
from vbwd.api.schemas.catalog import PublicTarifPlanList
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/tarif-plans")
def list_items() -> http.Response[PublicTarifPlanList]:
    return http.respond(
        PublicTarifPlanList.of(catalog.list_public(CatalogKind.TARIFF_PLAN)), headers=http.public_cache()
    )


lambda_handler = http.entrypoint(app)

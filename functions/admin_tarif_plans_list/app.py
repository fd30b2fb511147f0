"""GET /api/v1/admin/tarif-plans -- every tariff plan, ordered by sort_order then name, page by page."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.catalog import TarifPlanPage
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/admin/tarif-plans")
def list_items(
    page: Annotated[int, http.Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, http.Query(ge=1, le=100)] = 20,
    include_inactive: Annotated[bool, http.Query()] = False,
) -> TarifPlanPage:
    http.require(app)
    return TarifPlanPage.of(catalog.list_admin(CatalogKind.TARIFF_PLAN, page, per_page, include_inactive))


lambda_handler = http.entrypoint(app)

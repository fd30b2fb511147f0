"""GET /api/v1/admin/addons -- every add-on, ordered by sort_order then name, page by page."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.catalog import AddOnPage
from vbwd.domain.enums import CatalogKind
from vbwd.services import catalog

app = http.resolver()


@app.get("/api/v1/admin/addons")
def list_items(
    page: Annotated[int, http.Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, http.Query(ge=1, le=100)] = 20,
    include_inactive: Annotated[bool, http.Query()] = False,
) -> AddOnPage:
    http.require(app)
    return AddOnPage.of(catalog.list_admin(CatalogKind.ADD_ON, page, per_page, include_inactive))


lambda_handler = http.entrypoint(app)

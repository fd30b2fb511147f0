"""GET /api/v1/user/invoices -- the caller's invoices, newest first."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.billing import InvoicePage, InvoiceView
from vbwd.domain.enums import InvoiceStatus
from vbwd.services import invoices

app = http.resolver()


@app.get("/api/v1/user/invoices")
def list_invoices(
    status: Annotated[InvoiceStatus | None, http.Query()] = None,
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
) -> InvoicePage:
    caller = http.require(app)
    items, next_cursor = invoices.list_for_user(caller.subject, limit=limit, cursor=cursor, status=status)
    return InvoicePage(items=[InvoiceView.of(i) for i in items], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)

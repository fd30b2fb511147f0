"""GET /api/v1/admin/invoices -- every invoice, by status and/or user, newest first."""

from typing import Annotated

from vbwd.api import http
from vbwd.api.schemas.billing import InvoicePage, InvoiceView
from vbwd.domain.enums import InvoiceStatus
from vbwd.services import invoices

app = http.resolver()


@app.get("/api/v1/admin/invoices")
def list_invoices(
    status: Annotated[InvoiceStatus | None, http.Query()] = None,
    user_id: Annotated[str | None, http.Query()] = None,
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
    limit: Annotated[int, http.Query(ge=1, le=100)] = 20,
) -> InvoicePage:
    http.require(app)
    owner = http.uuid_param(user_id, "user_id") if user_id else None
    items, next_cursor = invoices.list_all(limit=limit, cursor=cursor, status=status, user_id=owner)
    return InvoicePage(items=[InvoiceView.of(i) for i in items], next_cursor=next_cursor)


lambda_handler = http.entrypoint(app)

"""GET /api/v1/user/tokens/transactions -- the ledger, newest first, as JSON pages or a CSV export."""

from datetime import datetime
from typing import Annotated, Literal

from vbwd.api import http
from vbwd.api.schemas import tokens as schema
from vbwd.domain.enums import LedgerType
from vbwd.services import tokens

app = http.resolver()


@app.get("/api/v1/user/tokens/transactions")
def transactions(
    limit: Annotated[int | None, http.Query(ge=1, le=10000)] = None,
    cursor: Annotated[str | None, http.Query(max_length=2048)] = None,
    entry_type: Annotated[LedgerType | None, http.Query(alias="type")] = None,
    since: Annotated[datetime | None, http.Query(alias="from")] = None,
    until: Annotated[datetime | None, http.Query(alias="to")] = None,
    format_: Annotated[Literal["json", "csv"] | None, http.Query(alias="format")] = None,
) -> http.Response[schema.TransactionPage | str]:
    caller = http.require(app)
    as_csv = schema.history_format(format_, http.header(app, "accept"))
    entries, next_cursor = tokens.history(
        caller.subject,
        limit=schema.history_limit(limit, as_csv),
        cursor=cursor,
        entry_type=entry_type,
        since_ms=schema.epoch_ms(since),
        until_ms=schema.epoch_ms(until),
    )
    if as_csv:
        return http.csv(schema.to_csv(entries), "transactions.csv", next_cursor)
    return http.respond(
        schema.TransactionPage(items=[schema.TransactionView.of(e) for e in entries], next_cursor=next_cursor)
    )


lambda_handler = http.entrypoint(app)

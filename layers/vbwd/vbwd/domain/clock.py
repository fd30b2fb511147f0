"""Time. Every timestamp is UTC and rendered as ISO 8601 with milliseconds and a ``Z``
(fixed width, so stored strings sort chronologically)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from vbwd.domain.enums import BillingPeriod


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months with end-of-month clamping: Jan 31 + 1 month is Feb 28 (or 29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, period: BillingPeriod) -> datetime | None:
    """When a term that starts at ``start`` ends; ``None`` for one-time purchases (no expiry)."""
    if period is BillingPeriod.WEEKLY:
        return start + timedelta(days=7)
    if period is BillingPeriod.MONTHLY:
        return add_months(start, 1)
    if period is BillingPeriod.QUARTERLY:
        return add_months(start, 3)
    if period is BillingPeriod.YEARLY:
        return add_months(start, 12)
    return None

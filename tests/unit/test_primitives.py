"""Money, time and ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from vbwd.domain import clock, ids, money
from vbwd.domain.enums import BillingPeriod


@pytest.mark.parametrize(
    ("value", "minor"), [("5.00", 500), (5, 500), (5.5, 550), ("0", 0), (Decimal("19.99"), 1999), (0.1, 10)]
)
def test_to_minor(value: object, minor: int) -> None:
    assert money.to_minor(value, "USD") == minor  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["5.001", 1.005, -1, "-0.01", "abc", True, "NaN", "Infinity", 10**12])
def test_to_minor_refuses(value: object) -> None:
    with pytest.raises(ValueError, match=r"must|too large"):
        money.to_minor(value, "USD")  # type: ignore[arg-type]


def test_currency_exponents() -> None:
    assert money.to_minor("500", "JPY") == 500
    with pytest.raises(ValueError, match="decimal places"):
        money.to_minor("5.5", "JPY")
    assert money.format_minor(500, "JPY") == "500"
    assert money.format_minor(1234, "KWD") == "1.234"


def test_format_minor() -> None:
    assert money.format_minor(500, "USD") == "5.00"
    assert money.format_minor(5, "USD") == "0.05"
    assert money.format_minor(-150, "USD") == "-1.50"


def test_iso_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 1, 31, 23, 59, 58, 123456, tzinfo=UTC)
    assert clock.iso(moment) == "2026-01-31T23:59:58.123Z"
    assert clock.parse_iso("2026-01-31T23:59:58.123Z") == moment.replace(microsecond=123000)


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        ("2026-01-31", BillingPeriod.MONTHLY, "2026-02-28"),
        ("2028-01-31", BillingPeriod.MONTHLY, "2028-02-29"),
        ("2026-03-31", BillingPeriod.MONTHLY, "2026-04-30"),
        ("2026-12-15", BillingPeriod.MONTHLY, "2027-01-15"),
        ("2026-11-30", BillingPeriod.QUARTERLY, "2027-02-28"),
        ("2028-02-29", BillingPeriod.YEARLY, "2029-02-28"),
        ("2026-12-29", BillingPeriod.WEEKLY, "2027-01-05"),
    ],
)
def test_period_end_uses_calendar_months_with_clamping(start: str, period: BillingPeriod, end: str) -> None:
    begin = datetime.fromisoformat(start).replace(hour=10, tzinfo=UTC)
    finish = clock.period_end(begin, period)
    assert finish is not None
    assert finish.date().isoformat() == end
    assert finish.hour == 10


def test_one_time_has_no_end() -> None:
    assert clock.period_end(clock.now(), BillingPeriod.ONE_TIME) is None


def test_ids_are_uuid7_and_sort_by_time() -> None:
    first = ids.new_id()
    parsed = uuid.UUID(first)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    later = ids.lowest_id_at(clock.epoch_ms(clock.now()) + 5)
    assert first < later
    assert ids.lowest_id_at(1000) < ids.highest_id_at(1000) < ids.lowest_id_at(1001)


def test_parse_uuid() -> None:
    assert ids.parse_uuid("01900000-0000-7000-8000-000000000001") == "01900000-0000-7000-8000-000000000001"
    assert ids.parse_uuid("not-a-uuid") is None

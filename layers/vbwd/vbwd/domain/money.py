"""Money: stored as integer minor units, rendered as a decimal string beside an ISO 4217 code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2 decimals (the rest of the common ones use 2).
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "XAF": 0,
    "XOF": 0,
    "BHD": 3,
    "JOD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
}
MAX_MINOR = 10**11  # one billion major units at 2 decimals: a sanity cap on any single price


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def parse_decimal(value: Decimal | int | float | str) -> Decimal:
    """A finite, non-negative decimal of sane size, or ValueError (never a decimal signal: "1e999999999"
    or "abc" from a client is a validation error, not a crash)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ArithmeticError) as exc:
        raise ValueError("must be a decimal number") from exc
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount and amount.adjusted() > 12:
        raise ValueError("is too large")
    return amount


def to_minor(value: Decimal | int | float | str, currency: str) -> int:
    """Parse a price into minor units. Raises ValueError for non-numbers, negatives, NaN/inf, absurd sizes
    and for more decimals than the currency has (a price with three decimals is refused, never rounded)."""
    amount = parse_decimal(value)
    places = exponent(currency)
    if amount and amount.adjusted() < -places - 1:
        raise ValueError(f"must have at most {places} decimal places")
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"must have at most {places} decimal places")
    minor = int(scaled)
    if minor > MAX_MINOR:
        raise ValueError("is too large")
    return minor


def format_minor(minor: int, currency: str) -> str:
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"

"""Money: stored as integer minor units, rendered as a decimal string beside an ISO 4217 code."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2 decimals (every other code uses 2).
_EXPONENTS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV"], 0
    ),
    **dict.fromkeys(["XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only, no "_" separators
# ISO 4217 currencies in circulation (funds codes included, precious metals and test codes not).
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
    XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()  # noqa: SIM905 -- a table, easier to read (and check) as one
)
MAX_MINOR = 10**11  # one billion major units at 2 decimals: a sanity cap on any single price


def currency_code(value: str) -> str:
    """An ISO 4217 code, upper-cased, or ValueError."""
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError("must be an ISO 4217 currency code, such as USD")
    return code


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def parse_decimal(value: Decimal | int | float | str) -> Decimal:
    """A finite, non-negative decimal of sane size, or ValueError (never a decimal signal: "1e999999999"
    or "abc" from a client is a validation error, not a crash)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip()
        if not _DECIMAL.fullmatch(text.removeprefix("-")):
            raise ValueError("must be a decimal number")
        try:
            amount = Decimal(text)
        except (InvalidOperation, ArithmeticError) as exc:  # an exponent beyond what Decimal holds
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

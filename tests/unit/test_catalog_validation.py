"""The catalog's request models refuse what the API contract refuses (no network, no store)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from vbwd.api.schemas.catalog import (
    AddOnCreate,
    AddOnUpdate,
    TarifPlanCreate,
    TarifPlanUpdate,
    TokenBundleCreate,
    TokenBundleUpdate,
    TokenBundleView,
    VersionRequest,
)
from vbwd.domain import money
from vbwd.domain.catalog import CatalogItem, slugify, sort_key
from vbwd.domain.enums import BillingPeriod, CatalogKind

PLAN = {"name": "Pro", "price": "29.00", "billing_period": "monthly"}
BUNDLE = {"name": "1000 Tokens", "token_amount": 1000, "price": "5.00"}
ADD_ON = {"name": "Priority Support", "price": "5.00", "billing_period": "monthly"}
CREATES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (TarifPlanCreate, PLAN),
    (TokenBundleCreate, BUNDLE),
    (AddOnCreate, ADD_ON),
]
UpdateModel = type[TarifPlanUpdate] | type[TokenBundleUpdate] | type[AddOnUpdate]
UPDATES: list[UpdateModel] = [TarifPlanUpdate, TokenBundleUpdate, AddOnUpdate]


def refused(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    """The refused fields (``""`` for the body as a whole) and the error type of each."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(str(p) for p in error["loc"]): error["type"] for error in caught.value.errors()}


# --- token_amount -------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [10.5, 1000.0, "1000", True, False, 0, -1, None, 10**10, [1000]])
def test_token_amount_must_be_a_whole_number_above_zero(amount: object) -> None:
    assert "token_amount" in refused(TokenBundleCreate, {**BUNDLE, "token_amount": amount})
    assert "token_amount" in refused(TokenBundleUpdate, {"token_amount": amount})


def test_token_amount_is_required_on_create() -> None:
    assert refused(TokenBundleCreate, {"name": "x", "price": "1.00"}) == {"token_amount": "missing"}


@pytest.mark.parametrize("amount", [1, 1000, 1_000_000_000])
def test_token_amount_accepts_positive_integers(amount: int) -> None:
    assert TokenBundleCreate.model_validate({**BUNDLE, "token_amount": amount}).token_amount == amount


# --- price ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price",
    # Decimal() alone would take "1_000", "0_1.0_0" and digits outside ASCII
    [
        -1,
        "-0.01",
        -0.5,
        "5.001",
        1.005,
        "0.001",
        True,
        False,
        "abc",
        "",
        "NaN",
        "Infinity",
        [5],
        {"a": 1},
        "1_000",
        "0_1.0_0",
        "\u0665",
        "\uff15.00",
        "5 .00",
        "+5",
    ],
)
@pytest.mark.parametrize(("model", "base"), CREATES)
def test_bad_prices_are_refused(model: type[BaseModel], base: dict[str, Any], price: object) -> None:
    assert set(refused(model, {**base, "price": price})) == {"price"}


@pytest.mark.parametrize("model", [TokenBundleUpdate, AddOnUpdate])
@pytest.mark.parametrize("price", [-1, "5.001", True, "abc", None])
def test_bad_prices_are_refused_on_update(model: type[BaseModel], price: object) -> None:
    assert set(refused(model, {"price": price})) == {"price"}


@pytest.mark.parametrize(
    ("price", "expected"),
    [("5.00", "5.00"), (5, "5"), (5.5, "5.5"), ("0", "0"), (0, "0"), (" 19.99 ", "19.99"), ("1e2", "1E+2")],
)
def test_prices_may_be_numbers_or_decimal_strings(price: object, expected: str) -> None:
    parsed = TokenBundleCreate.model_validate({**BUNDLE, "price": price}).price
    assert isinstance(parsed, Decimal) and parsed == Decimal(expected)


def test_price_is_required_on_create() -> None:
    for model, base in CREATES:
        assert refused(model, {k: v for k, v in base.items() if k != "price"}) == {"price": "missing"}


@pytest.mark.parametrize("currency", ["xyz", "US", "USDX", "", 840, "XAU", "XTS"])
def test_a_plan_currency_is_an_iso_4217_code(currency: object) -> None:
    assert "currency" in refused(TarifPlanCreate, {**PLAN, "currency": currency})


def test_a_plan_currency_is_upper_cased() -> None:
    assert TarifPlanCreate.model_validate({**PLAN, "currency": " eur "}).currency == "EUR"


def test_every_currency_with_its_own_decimals_is_a_currency() -> None:
    assert set(money._EXPONENTS) <= money.CURRENCIES
    assert len(money.CURRENCIES) > 150


def test_a_plan_price_follows_its_currency() -> None:
    assert TarifPlanCreate.model_validate({**PLAN, "currency": "KWD", "price": "1.234"}).price == Decimal("1.234")
    assert set(refused(TarifPlanCreate, {**PLAN, "currency": "JPY", "price": "5.5"})) == {"price"}
    assert set(refused(TarifPlanCreate, {**PLAN, "price": "1.234"})) == {"price"}  # the default currency, USD
    # an update that does not name the currency cannot know it: the service checks the decimals then
    assert TarifPlanUpdate.model_validate({"price": "1.234"}).price == Decimal("1.234")
    assert set(refused(TarifPlanUpdate, {"price": "1.234", "currency": "USD"})) == {"price"}
    assert set(refused(TarifPlanUpdate, {"price": "-1"})) == {"price"}


# --- name, description, features ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 256, None, 5, ["a"]])
@pytest.mark.parametrize(("model", "base"), CREATES)
def test_bad_names_are_refused(model: type[BaseModel], base: dict[str, Any], name: object) -> None:
    assert set(refused(model, {**base, "name": name})) == {"name"}


@pytest.mark.parametrize(("model", "base"), CREATES)
def test_name_is_required_and_trimmed(model: type[BaseModel], base: dict[str, Any]) -> None:
    assert refused(model, {k: v for k, v in base.items() if k != "name"}) == {"name": "missing"}
    assert model.model_validate({**base, "name": "  Pro  "}).model_dump()["name"] == "Pro"
    assert len(model.model_validate({**base, "name": "x" * 255}).model_dump()["name"]) == 255


@pytest.mark.parametrize("model", UPDATES)
def test_update_refuses_a_blank_or_null_name(model: type[BaseModel]) -> None:
    assert set(refused(model, {"name": " "})) == {"name"}
    assert set(refused(model, {"name": None})) == {"name"}
    assert set(refused(model, {"name": "x" * 256})) == {"name"}


def test_description_is_optional_bounded_and_clearable() -> None:
    assert TokenBundleCreate.model_validate(BUNDLE).model_dump()["description"] is None
    assert len(TokenBundleCreate.model_validate({**BUNDLE, "description": "d" * 5000}).description or "") == 5000
    assert set(refused(TokenBundleCreate, {**BUNDLE, "description": "d" * 5001})) == {"description"}
    assert TokenBundleUpdate.model_validate({"description": None}).changes() == {"description": None}


def test_features_are_bounded_strings() -> None:
    ok = TarifPlanCreate.model_validate({**PLAN, "features": [" Priority queue ", "x" * 255] + ["f"] * 48})
    assert ok.features[0] == "Priority queue" and len(ok.features) == 50
    assert set(refused(TarifPlanCreate, {**PLAN, "features": ["f"] * 51})) == {"features"}
    assert "features.0" in refused(TarifPlanCreate, {**PLAN, "features": [""]})
    assert "features.0" in refused(TarifPlanCreate, {**PLAN, "features": ["x" * 256]})
    assert "features.1" in refused(TarifPlanCreate, {**PLAN, "features": ["a", 5]})
    assert set(refused(TarifPlanCreate, {**PLAN, "features": "a, b"})) == {"features"}


# --- billing periods, slugs, currencies, numbers --------------------------------------------------------


@pytest.mark.parametrize("period", ["weekly", "monthly", "quarterly", "yearly", "one_time"])
def test_plans_take_every_billing_period(period: str) -> None:
    assert TarifPlanCreate.model_validate({**PLAN, "billing_period": period}).billing_period is BillingPeriod(period)


@pytest.mark.parametrize("period", ["daily", "Monthly", "", None, 1])
def test_plans_refuse_unknown_billing_periods(period: object) -> None:
    assert set(refused(TarifPlanCreate, {**PLAN, "billing_period": period})) == {"billing_period"}
    assert set(refused(TarifPlanUpdate, {"billing_period": period})) == {"billing_period"}


@pytest.mark.parametrize("period", ["weekly", "quarterly", "daily", None])
def test_add_ons_only_take_monthly_yearly_or_one_time(period: object) -> None:
    assert set(refused(AddOnCreate, {**ADD_ON, "billing_period": period})) == {"billing_period"}
    assert set(refused(AddOnUpdate, {"billing_period": period})) == {"billing_period"}
    for ok in ("monthly", "yearly", "one_time"):
        assert AddOnCreate.model_validate({**ADD_ON, "billing_period": ok}).billing_period == ok


def test_billing_period_is_required_for_plans_and_add_ons() -> None:
    assert refused(TarifPlanCreate, {"name": "x", "price": "1"}) == {"billing_period": "missing"}
    assert refused(AddOnCreate, {"name": "x", "price": "1"}) == {"billing_period": "missing"}


@pytest.mark.parametrize("slug", ["Pro", "pro plan", "-pro", "pro-", "pro--plan", "pro_plan", "pró", "", "a" * 101, 5])
def test_bad_slugs_are_refused(slug: object) -> None:
    assert set(refused(TarifPlanCreate, {**PLAN, "slug": slug})) == {"slug"}
    assert set(refused(TarifPlanUpdate, {"slug": slug})) == {"slug"}


@pytest.mark.parametrize("slug", ["pro", "pro-plan-2", "2026", "a" * 100])
def test_good_slugs_are_kept(slug: str) -> None:
    assert TarifPlanCreate.model_validate({**PLAN, "slug": slug}).slug == slug


def test_slug_is_optional_on_create() -> None:
    assert TarifPlanCreate.model_validate(PLAN).slug is None  # the service derives it from the name


@pytest.mark.parametrize("currency", ["US", "USDD", "12$", "", 840])
def test_bad_currencies_are_refused(currency: object) -> None:
    assert "currency" in refused(TarifPlanCreate, {**PLAN, "currency": currency})


def test_currency_is_upper_cased_and_optional() -> None:
    assert TarifPlanCreate.model_validate({**PLAN, "currency": "eur"}).currency == "EUR"
    assert TarifPlanCreate.model_validate(PLAN).currency is None  # the service uses the default currency


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trial_days", -1),
        ("trial_days", 366),
        ("trial_days", 1.5),
        ("trial_days", "7"),
        ("included_tokens", -1),
        ("included_tokens", True),
        ("sort_order", -1),
        ("sort_order", 1_000_001),
        ("sort_order", "1"),
        ("is_active", "yes"),
        ("is_active", 1),
        ("is_active", None),
    ],
)
def test_numbers_and_flags_are_bounded_and_strict(field: str, value: object) -> None:
    assert set(refused(TarifPlanCreate, {**PLAN, field: value})) == {field}


def test_bounds_are_inclusive() -> None:
    plan = TarifPlanCreate.model_validate({**PLAN, "trial_days": 365, "sort_order": 1_000_000, "included_tokens": 0})
    assert (plan.trial_days, plan.sort_order, plan.included_tokens) == (365, 1_000_000, 0)


def test_create_defaults() -> None:
    fields = TarifPlanCreate.model_validate(PLAN).fields()
    assert fields == {
        "name": "Pro",
        "slug": None,
        "description": None,
        "currency": None,
        "price": Decimal("29.00"),
        "billing_period": BillingPeriod.MONTHLY,
        "trial_days": 0,
        "included_tokens": 0,
        "features": [],
        "is_active": True,
        "sort_order": 0,
    }


# --- no mass assignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at", "version", "kind", "currency_id", "slug_x"])
@pytest.mark.parametrize(("model", "base"), CREATES)
def test_create_refuses_unknown_and_server_owned_fields(
    model: type[BaseModel], base: dict[str, Any], field: str
) -> None:
    assert refused(model, {**base, field: "01900000-0000-7000-8000-000000000001"}) == {field: "extra_forbidden"}


def test_bundles_and_add_ons_have_no_currency_or_kind_specific_fields() -> None:
    assert refused(TokenBundleCreate, {**BUNDLE, "currency": "EUR"}) == {"currency": "extra_forbidden"}
    assert refused(TokenBundleCreate, {**BUNDLE, "billing_period": "monthly"}) == {"billing_period": "extra_forbidden"}
    assert refused(AddOnCreate, {**ADD_ON, "token_amount": 5}) == {"token_amount": "extra_forbidden"}
    assert refused(AddOnUpdate, {"slug": "x"}) == {"slug": "extra_forbidden"}


@pytest.mark.parametrize("model", UPDATES)
def test_update_refuses_server_owned_fields_but_takes_version(model: UpdateModel) -> None:
    for field in ("id", "created_at", "updated_at", "kind"):
        assert refused(model, {"name": "x", field: "v"}) == {field: "extra_forbidden"}
    parsed = model.model_validate({"name": "x", "version": 3})
    assert parsed.version == 3
    assert parsed.changes() == {"name": "x"}  # the version is a token, not a change


@pytest.mark.parametrize("model", UPDATES)
@pytest.mark.parametrize("version", [0, -1, "3", 2.0, True])
def test_update_version_must_be_a_positive_integer(model: type[BaseModel], version: object) -> None:
    assert "version" in refused(model, {"name": "x", "version": version})


@pytest.mark.parametrize("model", UPDATES)
def test_an_update_must_change_something(model: type[BaseModel]) -> None:
    assert refused(model, {}) == {"": "value_error"}
    assert refused(model, {"version": 2}) == {"": "value_error"}


def test_update_reports_only_what_was_sent() -> None:
    changes = TarifPlanUpdate.model_validate({"price": 7, "features": [], "is_active": False}).changes()
    assert changes == {"price": Decimal(7), "features": [], "is_active": False}


def test_version_request_is_optional_and_strict() -> None:
    assert VersionRequest.model_validate({}).version is None
    assert VersionRequest.model_validate({"version": 4}).version == 4
    assert set(refused(VersionRequest, {"version": "4"})) == {"version"}
    assert set(refused(VersionRequest, {"is_active": True})) == {"is_active"}


# --- views and domain helpers ---------------------------------------------------------------------------


def test_views_render_prices_as_decimal_strings() -> None:
    item = CatalogItem(
        id="01900000-0000-7000-8000-000000000001",
        kind=CatalogKind.TOKEN_BUNDLE,
        name="1000 Tokens",
        description=None,
        price_minor=500,
        currency="USD",
        is_active=True,
        sort_order=1,
        created_at="2026-11-22T10:00:00.000Z",
        updated_at="2026-11-22T10:00:00.000Z",
        version=1,
        token_amount=1000,
    )
    view = TokenBundleView.of(item).model_dump()
    assert view["price"] == "5.00" and view["currency"] == "USD" and view["token_amount"] == 1000


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Pro", "pro"),
        ("  Pro Plan!  ", "pro-plan"),
        ("Café Crème", "cafe-creme"),
        ("10000 Tokens", "10000-tokens"),
        ("a -- b", "a-b"),
        ("日本", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugify_truncates_to_a_valid_slug() -> None:
    slug = slugify("word " * 60)
    assert len(slug) <= 100 and not slug.endswith("-")
    assert TarifPlanCreate.model_validate({**PLAN, "slug": slug}).slug == slug


def test_sort_key_orders_by_sort_order_then_name_and_fits_dynamodb() -> None:
    item_id = "01900000-0000-7000-8000-000000000001"
    keys = [sort_key(2, "alpha", item_id), sort_key(1, "Zulu", item_id), sort_key(1, "beta", item_id)]
    assert sorted(keys) == [keys[2], keys[1], keys[0]]
    assert sort_key(10, "a", item_id) > sort_key(9, "z", item_id)
    assert sorted([sort_key(1, "Pro Plus", item_id), sort_key(1, "Pro", item_id), sort_key(1, "Pro!", item_id)]) == [
        sort_key(1, "Pro", item_id),
        sort_key(1, "Pro Plus", item_id),
        sort_key(1, "Pro!", item_id),
    ]
    longest = sort_key(1_000_000, "\U0001f600" * 255, item_id)
    assert len(longest.encode()) <= 1024

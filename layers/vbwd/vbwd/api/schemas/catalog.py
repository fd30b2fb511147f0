"""Catalog requests and responses: tariff plans, token bundles and add-ons.

Prices come in as JSON numbers or decimal strings ("5.00"), never booleans, never negative, never with
more decimals than the currency has (refused, not rounded); they go out as decimal strings with a currency.
Creates refuse ``id``, ``created_at``, ``updated_at`` and ``version`` (no mass assignment); updates are
partial, must change something, and may carry ``version`` as the optimistic-concurrency token.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vbwd.api.schemas.common import LINE_CHARS, PROSE_CHARS, Strict, View
from vbwd.domain import money
from vbwd.domain.catalog import (
    MAX_DESCRIPTION,
    MAX_FEATURE,
    MAX_FEATURES,
    MAX_NAME,
    MAX_SLUG,
    MAX_SORT_ORDER,
    MAX_TOKENS,
    MAX_TRIAL_DAYS,
    SLUG_PATTERN,
    CatalogItem,
)
from vbwd.domain.enums import BillingPeriod
from vbwd.services.catalog import Page, default_currency

# No control characters: they could not be displayed, and the index sort key joins its parts with one.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME), LINE_CHARS]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION), PROSE_CHARS]
Slug = Annotated[str, StringConstraints(max_length=MAX_SLUG, pattern=SLUG_PATTERN)]
Currency = Annotated[str, AfterValidator(money.currency_code)]
Feature = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_FEATURE), LINE_CHARS]
Features = Annotated[list[Feature], Field(max_length=MAX_FEATURES)]
SortOrder = Annotated[StrictInt, Field(ge=0, le=MAX_SORT_ORDER)]
TrialDays = Annotated[StrictInt, Field(ge=0, le=MAX_TRIAL_DAYS)]
IncludedTokens = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]
TokenAmount = Annotated[StrictInt, Field(gt=0, le=MAX_TOKENS)]
Version = Annotated[StrictInt, Field(ge=1)]
Price = Annotated[Decimal, Field(description='A decimal amount: a JSON number or a string such as "5.00".')]
AddOnPeriod = Literal["monthly", "yearly", "one_time"]


def parse_price(value: Any, currency: str | None) -> Any:
    """A price as a Decimal. ``currency`` decides the decimals allowed; ``None`` (a plan update that does
    not say its currency) leaves that check to the service, which knows the plan's currency."""
    if value is None:
        return None  # an explicit null: refused by the model's not-null rule
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a number or a decimal string")
    amount = money.parse_decimal(value)  # raises ValueError: not a number, negative, absurdly large
    if currency is not None:
        money.to_minor(amount, currency)  # raises ValueError: too many decimals, too large
    return amount


def _currency_of(info: ValidationInfo) -> str:
    currency = info.data.get("currency")
    return currency if isinstance(currency, str) else default_currency()


# --- requests -----------------------------------------------------------------------------------------


class _Create(Strict):
    @field_validator("price", mode="before", check_fields=False)
    @classmethod
    def _price(cls, value: Any, info: ValidationInfo) -> Any:
        return parse_price(value, _currency_of(info))

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``services.catalog.create``."""
        return self.model_dump()


class _Update(Strict):
    """All fields optional; at least one besides ``version``; only ``description`` may be null."""

    version: Version | None = None

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in {"description", "version"}:
            raise ValueError("must not be null")
        return value

    @field_validator("price", mode="before", check_fields=False)
    @classmethod
    def _price(cls, value: Any, info: ValidationInfo) -> Any:
        if "currency" not in cls.model_fields:  # bundles and add-ons: always the system currency
            return parse_price(value, default_currency())
        # a plan update that does not name its currency leaves the decimals to the service (it knows the plan's)
        currency = info.data.get("currency")
        return parse_price(value, currency if isinstance(currency, str) else None)

    @model_validator(mode="after")
    def _changes_something(self) -> _Update:
        if not self.model_fields_set - {"version"}:
            raise ValueError("give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent (``version`` is the concurrency token, not a change)."""
        return self.model_dump(exclude_unset=True, exclude={"version"})


class TarifPlanCreate(_Create):
    name: Name
    slug: Slug | None = Field(None, description="Derived from the name when omitted.")
    description: Description | None = None
    currency: Currency | None = Field(None, description="Defaults to the system currency.")
    price: Price
    billing_period: BillingPeriod
    trial_days: TrialDays = 0
    included_tokens: IncludedTokens = Field(0, description="Credited when the plan is paid.")
    features: Features = Field(default_factory=list)
    is_active: StrictBool = True
    sort_order: SortOrder = 0


class TarifPlanUpdate(_Update):
    name: Name | None = None
    slug: Slug | None = None
    description: Description | None = None
    currency: Currency | None = None
    price: Price | None = None
    billing_period: BillingPeriod | None = None
    trial_days: TrialDays | None = None
    included_tokens: IncludedTokens | None = None
    features: Features | None = None
    is_active: StrictBool | None = None
    sort_order: SortOrder | None = None


class TokenBundleCreate(_Create):
    name: Name
    description: Description | None = None
    token_amount: TokenAmount
    price: Price
    is_active: StrictBool = True
    sort_order: SortOrder = 0


class TokenBundleUpdate(_Update):
    name: Name | None = None
    description: Description | None = None
    token_amount: TokenAmount | None = None
    price: Price | None = None
    is_active: StrictBool | None = None
    sort_order: SortOrder | None = None


class AddOnCreate(_Create):
    name: Name
    description: Description | None = None
    price: Price
    billing_period: AddOnPeriod
    is_active: StrictBool = True
    sort_order: SortOrder = 0


class AddOnUpdate(_Update):
    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    billing_period: AddOnPeriod | None = None
    is_active: StrictBool | None = None
    sort_order: SortOrder | None = None


class VersionRequest(Strict):
    """The optional body of activate / deactivate: the version the caller last saw."""

    version: Version | None = None


# --- responses ----------------------------------------------------------------------------------------


def _price_of(item: CatalogItem) -> str:
    return money.format_minor(item.price_minor, item.currency)


class PublicTarifPlanView(View):
    id: str
    name: str
    slug: str
    description: str | None
    price: str
    currency: str
    billing_period: BillingPeriod
    trial_days: int
    included_tokens: int
    features: list[str]
    sort_order: int

    @classmethod
    def of(cls, item: CatalogItem) -> PublicTarifPlanView:
        return cls.model_validate(_plan_fields(item))


class TarifPlanView(PublicTarifPlanView):
    is_active: bool
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, item: CatalogItem) -> TarifPlanView:
        return cls.model_validate({**_plan_fields(item), **_admin_fields(item)})


class PublicTokenBundleView(View):
    id: str
    name: str
    description: str | None
    token_amount: int
    price: str
    currency: str
    sort_order: int

    @classmethod
    def of(cls, item: CatalogItem) -> PublicTokenBundleView:
        return cls.model_validate(_bundle_fields(item))


class TokenBundleView(PublicTokenBundleView):
    is_active: bool
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, item: CatalogItem) -> TokenBundleView:
        return cls.model_validate({**_bundle_fields(item), **_admin_fields(item)})


class PublicAddOnView(View):
    id: str
    name: str
    description: str | None
    price: str
    currency: str
    billing_period: BillingPeriod
    sort_order: int

    @classmethod
    def of(cls, item: CatalogItem) -> PublicAddOnView:
        return cls.model_validate(_add_on_fields(item))


class AddOnView(PublicAddOnView):
    is_active: bool
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, item: CatalogItem) -> AddOnView:
        return cls.model_validate({**_add_on_fields(item), **_admin_fields(item)})


def _common_fields(item: CatalogItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "price": _price_of(item),
        "currency": item.currency,
        "sort_order": item.sort_order,
    }


def _plan_fields(item: CatalogItem) -> dict[str, Any]:
    return {
        **_common_fields(item),
        "slug": item.slug,
        "billing_period": item.billing_period,
        "trial_days": item.trial_days,
        "included_tokens": item.included_tokens,
        "features": list(item.features),
    }


def _bundle_fields(item: CatalogItem) -> dict[str, Any]:
    return {**_common_fields(item), "token_amount": item.token_amount}


def _add_on_fields(item: CatalogItem) -> dict[str, Any]:
    return {**_common_fields(item), "billing_period": item.billing_period}


def _admin_fields(item: CatalogItem) -> dict[str, Any]:
    return {
        "is_active": item.is_active,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "version": item.version,
    }


def _page_fields(page: Page) -> dict[str, int]:
    return {"total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages}


class TarifPlanPage(View):
    items: list[TarifPlanView]
    total: int
    page: int
    per_page: int
    pages: int

    @classmethod
    def of(cls, page: Page) -> TarifPlanPage:
        return cls(items=[TarifPlanView.of(item) for item in page.items], **_page_fields(page))


class TokenBundlePage(View):
    items: list[TokenBundleView]
    total: int
    page: int
    per_page: int
    pages: int

    @classmethod
    def of(cls, page: Page) -> TokenBundlePage:
        return cls(items=[TokenBundleView.of(item) for item in page.items], **_page_fields(page))


class AddOnPage(View):
    items: list[AddOnView]
    total: int
    page: int
    per_page: int
    pages: int

    @classmethod
    def of(cls, page: Page) -> AddOnPage:
        return cls(items=[AddOnView.of(item) for item in page.items], **_page_fields(page))


class PublicTarifPlanList(View):
    items: list[PublicTarifPlanView]

    @classmethod
    def of(cls, items: list[CatalogItem]) -> PublicTarifPlanList:
        return cls(items=[PublicTarifPlanView.of(item) for item in items])


class PublicTokenBundleList(View):
    items: list[PublicTokenBundleView]

    @classmethod
    def of(cls, items: list[CatalogItem]) -> PublicTokenBundleList:
        return cls(items=[PublicTokenBundleView.of(item) for item in items])


class PublicAddOnList(View):
    items: list[PublicAddOnView]

    @classmethod
    def of(cls, items: list[CatalogItem]) -> PublicAddOnList:
        return cls(items=[PublicAddOnView.of(item) for item in items])

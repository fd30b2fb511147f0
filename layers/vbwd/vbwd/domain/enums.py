"""Statuses and kinds shared across the domain."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class BillingPeriod(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_TIME = "one_time"


class CatalogKind(StrEnum):
    TARIFF_PLAN = "tarif_plan"
    TOKEN_BUNDLE = "token_bundle"  # noqa: S105 -- an enum value
    ADD_ON = "add_on"


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PurchaseStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class LineItemType(StrEnum):
    SUBSCRIPTION = "subscription"
    TOKEN_BUNDLE = "token_bundle"  # noqa: S105 -- an enum value
    ADD_ON = "add_on"


class LedgerType(StrEnum):
    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    USAGE = "usage"
    REFUND = "refund"
    BONUS = "bonus"
    ADJUSTMENT = "adjustment"

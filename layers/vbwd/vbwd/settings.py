"""One typed settings object, read lazily from the environment.

Nothing reads configuration from ``os.environ`` at import time: call :func:`get_settings` when a value is
needed. (The one import-time read is not configuration: ``vbwd/__init__.py`` looks for the platform's
``AWS_LAMBDA_FUNCTION_NAME`` to keep the GC out of a Lambda init, decision 50.) Secrets have
three sources, in order: an explicit environment variable, an AWS secret (ARN in the environment, fetched
once per container), and -- only when ``VBWD_STAGE=local`` -- a documented local default.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from vbwd import __version__
from vbwd.domain import money

LOCAL_STAGE = "local"

# Documented local defaults (README, "Local configuration"). Never used outside VBWD_STAGE=local.
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_vbwd_local_webhook_secret"  # noqa: S105 -- documented, local only
LOCAL_STRIPE_API_KEY = "sk_test_vbwd_local"
LOCAL_PAYMENT_WEBHOOK_SECRET = "vbwd_local_payment_webhook_secret"  # noqa: S105 -- documented, local only
JWT_KEY_FILE = "jwt-signing.key"


class MissingSecret(RuntimeError):
    """A secret has no source in a deployed stage (a deployment error, not a client one)."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field(LOCAL_STAGE, alias="VBWD_STAGE")
    version: str = Field(__version__, alias="VBWD_VERSION")
    region: str = Field("us-east-1", alias="AWS_REGION")
    dynamodb_endpoint: str | None = Field(None, alias="DYNAMODB_ENDPOINT")
    data_dir: Path = Field(Path(".local"), alias="VBWD_DATA_DIR")
    lambda_function_name: str | None = Field(None, alias="AWS_LAMBDA_FUNCTION_NAME")
    trace_disabled: bool = Field(False, alias="POWERTOOLS_TRACE_DISABLED")

    users_table: str = Field("UsersTable", alias="USERS_TABLE")
    sessions_table: str = Field("SessionsTable", alias="SESSIONS_TABLE")
    api_keys_table: str = Field("ApiKeysTable", alias="API_KEYS_TABLE")
    catalog_table: str = Field("CatalogTable", alias="CATALOG_TABLE")
    billing_table: str = Field("BillingTable", alias="BILLING_TABLE")
    wallets_table: str = Field("WalletsTable", alias="WALLETS_TABLE")
    ledger_table: str = Field("LedgerTable", alias="LEDGER_TABLE")
    outbox_table: str = Field("OutboxTable", alias="OUTBOX_TABLE")

    jwt_secret: SecretStr | None = Field(None, alias="VBWD_JWT_SECRET")
    jwt_secret_arn: str | None = Field(None, alias="VBWD_JWT_SECRET_ARN")
    jwt_issuer: str = Field("vbwd", alias="VBWD_JWT_ISSUER")
    jwt_audience: str = Field("vbwd-api", alias="VBWD_JWT_AUDIENCE")
    access_token_ttl_seconds: int = Field(900, alias="VBWD_ACCESS_TOKEN_TTL", gt=0)
    refresh_token_ttl_seconds: int = Field(30 * 24 * 3600, alias="VBWD_REFRESH_TOKEN_TTL", gt=0)

    argon2_time_cost: int = Field(3, alias="VBWD_ARGON2_TIME_COST", ge=1)
    argon2_memory_kib: int = Field(65536, alias="VBWD_ARGON2_MEMORY_KIB", ge=8)
    argon2_parallelism: int = Field(4, alias="VBWD_ARGON2_PARALLELISM", ge=1)

    default_currency: Annotated[str, AfterValidator(money.currency_code)] = Field("USD", alias="DEFAULT_CURRENCY")
    invoice_ttl_hours: int = Field(24, alias="VBWD_INVOICE_TTL_HOURS", gt=0)

    stripe_api_key: SecretStr | None = Field(None, alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_secret_arn: str | None = Field(None, alias="STRIPE_SECRET_ARN")
    stripe_api_base: str | None = Field(None, alias="STRIPE_API_BASE")
    checkout_success_url: str = Field("http://localhost:3000/checkout/success", alias="CHECKOUT_SUCCESS_URL")
    checkout_cancel_url: str = Field("http://localhost:3000/checkout/cancel", alias="CHECKOUT_CANCEL_URL")

    payment_webhook_secret: SecretStr | None = Field(None, alias="VBWD_PAYMENT_WEBHOOK_SECRET")
    payment_webhook_secret_arn: str | None = Field(None, alias="VBWD_PAYMENT_WEBHOOK_SECRET_ARN")

    @field_validator(
        "dynamodb_endpoint",
        "jwt_secret_arn",
        "stripe_secret_arn",
        "stripe_api_base",
        "payment_webhook_secret_arn",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def is_local(self) -> bool:
        """The local stage, outside Lambda. Inside a Lambda the published local secrets are never used,
        whatever ``VBWD_STAGE`` says: a function deployed without the template's environment fails closed."""
        return self.stage == LOCAL_STAGE and self.lambda_function_name is None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


def reset_settings() -> None:
    """Forget cached settings and secrets (tests and the local runner change the environment)."""
    get_settings.cache_clear()
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]


def _aws_secret(arn: str) -> str:
    """A Secrets Manager value, cached by Powertools for 5 minutes: a rotated or newly set secret (the
    real Stripe keys after the first deploy) is picked up without recycling containers. boto3 is loaded
    only by the functions that read a secret."""
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(arn, max_age=300))


def _local_jwt_key(settings: Settings) -> str:
    path = settings.data_dir / JWT_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            with open(path, "x") as handle:  # exclusive create: concurrent starters agree on one key
                handle.write(key)
            os.chmod(path, 0o600)
        except FileExistsError:
            pass
        return path.read_text().strip()


def jwt_signing_key() -> str:
    settings = get_settings()
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.jwt_secret_arn:
        return _aws_secret(settings.jwt_secret_arn)
    if settings.is_local:
        return _local_jwt_key(settings)
    raise MissingSecret("VBWD_JWT_SECRET_ARN is not configured")


def _stripe_secret_field(name: str) -> str | None:
    settings = get_settings()
    if settings.stripe_secret_arn:
        value = json.loads(_aws_secret(settings.stripe_secret_arn)).get(name)
        return str(value) if value else None
    return None


def stripe_api_key() -> str:
    settings = get_settings()
    if settings.stripe_api_key is not None:
        return settings.stripe_api_key.get_secret_value()
    value = _stripe_secret_field("api_key")
    if value:
        return value
    if settings.is_local:
        return LOCAL_STRIPE_API_KEY
    raise MissingSecret("the Stripe API key is not configured")


def stripe_webhook_secret() -> str:
    settings = get_settings()
    if settings.stripe_webhook_secret is not None:
        return settings.stripe_webhook_secret.get_secret_value()
    value = _stripe_secret_field("webhook_secret")
    if value:
        return value
    if settings.is_local:
        return LOCAL_STRIPE_WEBHOOK_SECRET
    raise MissingSecret("the Stripe webhook secret is not configured")


def payment_webhook_secret() -> str:
    settings = get_settings()
    if settings.payment_webhook_secret is not None:
        return settings.payment_webhook_secret.get_secret_value()
    if settings.payment_webhook_secret_arn:
        return _aws_secret(settings.payment_webhook_secret_arn)
    if settings.is_local:
        return LOCAL_PAYMENT_WEBHOOK_SECRET
    raise MissingSecret("VBWD_PAYMENT_WEBHOOK_SECRET_ARN is not configured")

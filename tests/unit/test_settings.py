"""The typed settings object: lazy, overridable, with local-only secret defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from vbwd import settings as settings_module
from vbwd.settings import (
    LOCAL_PAYMENT_WEBHOOK_SECRET,
    LOCAL_STRIPE_WEBHOOK_SECRET,
    MissingSecret,
    get_settings,
    jwt_signing_key,
    payment_webhook_secret,
    reset_settings,
    stripe_api_key,
    stripe_webhook_secret,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in (
        "VBWD_JWT_SECRET",
        "STRIPE_WEBHOOK_SECRET",
        "VBWD_PAYMENT_WEBHOOK_SECRET",
        "STRIPE_API_KEY",
        "USERS_TABLE",
        "DEFAULT_CURRENCY",
        "VBWD_INVOICE_TTL_HOURS",
        "DYNAMODB_ENDPOINT",
        "AWS_LAMBDA_FUNCTION_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VBWD_DATA_DIR", str(tmp_path))
    reset_settings()
    yield monkeypatch
    reset_settings()


def test_defaults(env) -> None:
    settings = get_settings()
    assert settings.default_currency == "USD"
    assert settings.access_token_ttl_seconds == 900
    assert settings.invoice_ttl_hours == 24
    assert settings.users_table == "UsersTable"


def test_environment_overrides(env) -> None:
    env.setenv("DEFAULT_CURRENCY", "EUR")
    env.setenv("USERS_TABLE", "prod-users")
    env.setenv("VBWD_INVOICE_TTL_HOURS", "48")
    settings = get_settings()
    assert (settings.default_currency, settings.users_table, settings.invoice_ttl_hours) == ("EUR", "prod-users", 48)


def test_settings_are_read_lazily_not_at_import(env) -> None:
    # The module was imported long before this test set the variable; the value is still seen.
    env.setenv("USERS_TABLE", "set-after-import")
    settings_module.reset_settings()
    assert settings_module.get_settings().users_table == "set-after-import"


def test_importing_the_layer_reads_no_environment() -> None:
    import subprocess
    import sys

    code = (
        "import os; os.environ.clear(); "
        "import vbwd.settings, vbwd.store.users, vbwd.services.auth, vbwd.api.http; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_invalid_values_are_refused(env) -> None:
    env.setenv("DEFAULT_CURRENCY", "dollars")
    with pytest.raises(ValueError, match=r"default_currency|DEFAULT_CURRENCY"):
        get_settings()


def test_local_jwt_key_is_generated_into_the_data_dir_once(env, tmp_path: Path) -> None:
    first = jwt_signing_key()
    assert (tmp_path / "jwt-signing.key").read_text().strip() == first
    assert oct((tmp_path / "jwt-signing.key").stat().st_mode & 0o777) == "0o600"
    reset_settings()
    assert jwt_signing_key() == first
    assert len(first) >= 32


def test_explicit_secrets_win(env) -> None:
    env.setenv("VBWD_JWT_SECRET", "explicit-key")
    env.setenv("STRIPE_WEBHOOK_SECRET", "whsec_explicit")
    env.setenv("VBWD_PAYMENT_WEBHOOK_SECRET", "payment-explicit")
    assert jwt_signing_key() == "explicit-key"
    assert stripe_webhook_secret() == "whsec_explicit"
    assert payment_webhook_secret() == "payment-explicit"


def test_local_defaults_are_documented_values(env) -> None:
    assert stripe_webhook_secret() == LOCAL_STRIPE_WEBHOOK_SECRET
    assert payment_webhook_secret() == LOCAL_PAYMENT_WEBHOOK_SECRET
    assert stripe_api_key().startswith("sk_test_")


def test_deployed_stages_have_no_defaults(env) -> None:
    env.setenv("VBWD_STAGE", "prod")
    for read in (jwt_signing_key, stripe_webhook_secret, payment_webhook_secret, stripe_api_key):
        with pytest.raises(MissingSecret):
            read()


def test_inside_lambda_the_local_defaults_never_apply(env) -> None:
    env.setenv("VBWD_STAGE", "local")
    env.setenv("AWS_LAMBDA_FUNCTION_NAME", "vbwd-prod-WebhooksStripe")
    for read in (jwt_signing_key, stripe_webhook_secret, payment_webhook_secret, stripe_api_key):
        with pytest.raises(MissingSecret):
            read()


def test_deployed_secrets_come_from_secrets_manager(env) -> None:
    env.setenv("VBWD_STAGE", "prod")
    env.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        jwt_arn = client.create_secret(Name="jwt", SecretString="signing-key-from-aws")["ARN"]
        stripe_arn = client.create_secret(
            Name="stripe", SecretString=json.dumps({"api_key": "sk_live_x", "webhook_secret": "whsec_live"})
        )["ARN"]
        env.setenv("VBWD_JWT_SECRET_ARN", jwt_arn)
        env.setenv("STRIPE_SECRET_ARN", stripe_arn)
        reset_settings()
        assert jwt_signing_key() == "signing-key-from-aws"
        assert stripe_webhook_secret() == "whsec_live"
        assert stripe_api_key() == "sk_live_x"
    assert os.environ["VBWD_STAGE"] == "prod"

"""The console command that bootstraps an admin in a deployed stack (run here against DynamoDB Local)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import create_admin
from tests.conftest import Client, unique_email
from vbwd.domain.enums import Role
from vbwd.store import users as users_store


def test_creates_then_promotes_idempotently(
    client: Client, db: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    email = unique_email("ops")
    monkeypatch.setenv("VBWD_ADMIN_PASSWORD", "a-strong-admin-password")
    assert create_admin.main(["--email", email, "--users-table", db["UsersTable"]]) == 0
    assert "created admin" in capsys.readouterr().out
    assert create_admin.main(["--email", email.upper(), "--users-table", db["UsersTable"]]) == 0
    assert "updated admin" in capsys.readouterr().out
    stored = users_store.get_user_by_email(email)
    assert stored is not None and stored.role is Role.ADMIN
    login = client.post("/api/v1/auth/login", {"email": email, "password": "a-strong-admin-password"})
    assert login.status == 200
    assert client.get("/api/v1/admin/users?limit=1", token=login.json()["access_token"]).status == 200


def test_short_password_is_refused(db: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VBWD_ADMIN_PASSWORD", "short")
    assert create_admin.main(["--email", unique_email("ops"), "--users-table", db["UsersTable"]]) == 2


def test_the_table_name_comes_from_the_stack_output() -> None:
    template: dict[str, Any] = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"UsersTableName": {"Value": "vbwd-UsersTable-ABC"}},
    }
    with mock_aws():
        boto3.client("cloudformation", region_name="us-east-1").create_stack(
            StackName="vbwd", TemplateBody=json.dumps(template)
        )
        assert create_admin.users_table_of("vbwd", "us-east-1") == "vbwd-UsersTable-ABC"

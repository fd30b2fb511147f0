"""Free text people will read holds no control characters (a NUL in an email made an account before)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from vbwd.api.schemas.auth import RegisterRequest
from vbwd.api.schemas.catalog import TarifPlanCreate, TokenBundleCreate
from vbwd.api.schemas.payments import MarkPaidRequest, RefundInvoiceRequest
from vbwd.api.schemas.tokens import ApiKeyCreate, ConsumeRequest, GrantRequest

CASES: list[tuple[type[BaseModel], dict[str, Any], str, bool]] = [
    # model, a valid body, the text field, whether line breaks are allowed there
    (RegisterRequest, {"email": "a@example.com", "password": "correct-horse"}, "email", False),
    (RegisterRequest, {"email": "a@example.com", "password": "correct-horse"}, "password", False),
    (TarifPlanCreate, {"name": "Pro", "price": "1.00", "billing_period": "monthly"}, "name", False),
    (TokenBundleCreate, {"name": "B", "token_amount": 1, "price": "1.00", "description": "d"}, "description", True),
    (MarkPaidRequest, {"payment_reference": "ref"}, "payment_reference", False),
    (RefundInvoiceRequest, {"reason": "asked"}, "reason", True),
    (ConsumeRequest, {"amount": 1, "description": "d"}, "description", True),
    (GrantRequest, {"amount": 1, "reason": "r", "idempotency_key": "k"}, "reason", True),
    (ApiKeyCreate, {"name": "backend"}, "name", False),
]


def refused_fields(model: type[BaseModel], data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {str(error["loc"][0]) for error in caught.value.errors()}


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\ufeff", "\u2066"])
@pytest.mark.parametrize(("model", "body", "field", "_"), CASES)
def test_control_characters_are_refused(
    model: type[BaseModel], body: dict[str, Any], field: str, _: bool, char: str
) -> None:
    model.model_validate(body)  # the body is valid without the character
    value = body[field]
    tainted = value.replace("@", f"{char}@", 1) if field == "email" else f"{value}{char}x"
    assert refused_fields(model, {**body, field: tainted}) == {field}


@pytest.mark.parametrize(("model", "body", "field", "prose"), CASES)
def test_line_breaks_only_in_prose(model: type[BaseModel], body: dict[str, Any], field: str, prose: bool) -> None:
    value = f"first line\nsecond\tline {body[field]}"
    if prose:
        assert getattr(model.model_validate({**body, field: value}), field) == value
    else:
        assert field in refused_fields(model, {**body, field: value})


@pytest.mark.parametrize("char", ["\x85", "\x0b", "\x0c", "\u2028"])
@pytest.mark.parametrize(("model", "body", "field", "_"), CASES)
def test_a_control_character_at_the_edge_is_refused_not_trimmed(
    model: type[BaseModel], body: dict[str, Any], field: str, _: bool, char: str
) -> None:
    value = body[field]
    if field == "description" or field == "reason":
        return  # prose: line breaks are text there (\x0b, \x0c and \x85 are not, and are covered above)
    assert refused_fields(model, {**body, field: f"{value}{char}"}) == {field}
    assert refused_fields(model, {**body, field: f"{char}{value}"}) == {field}


def test_joiners_scripts_and_emoji_need_are_allowed() -> None:
    family = "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 plan"
    assert TarifPlanCreate.model_validate({"name": family, "price": "1.00", "billing_period": "monthly"}).name == family


def test_metadata_keys_are_lines() -> None:
    assert refused_fields(ConsumeRequest, {"amount": 1, "metadata": {"\x00": 1}}) == {"metadata"}
    assert ConsumeRequest.model_validate({"amount": 1, "metadata": {"model": "gpt"}}).metadata == {"model": "gpt"}


@pytest.mark.parametrize("password", [" " * 20, "\t" * 8 + " "])
def test_a_blank_password_is_refused(password: str) -> None:
    assert refused_fields(RegisterRequest, {"email": "a@example.com", "password": password}) == {"password"}

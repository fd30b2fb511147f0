"""Tracing is lazy and only on in Lambda; metrics are recorded only by functions that flush them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from local import ROOT
from vbwd import observability
from vbwd.settings import reset_settings


def test_tracing_is_off_outside_lambda_and_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    def enabled(**env: str | None) -> bool:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        reset_settings()
        return observability.tracing_enabled()

    assert not enabled(AWS_LAMBDA_FUNCTION_NAME=None)
    assert not enabled(AWS_LAMBDA_FUNCTION_NAME="fn", POWERTOOLS_TRACE_DISABLED="true")
    assert enabled(AWS_LAMBDA_FUNCTION_NAME="fn", POWERTOOLS_TRACE_DISABLED="false")
    monkeypatch.undo()
    reset_settings()


def test_an_untraced_handler_is_returned_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    reset_settings()

    def handler(event: dict[str, object], context: object) -> str:
        return "ok"

    assert observability.traced(handler) is handler


def test_importing_a_handler_loads_no_tracer_sdk_and_no_unneeded_heavy_package() -> None:
    code = (
        "import importlib.util, sys\n"
        "for name in ('user_tokens_consume', 'user_profile', 'auth_logout', 'health', 'authorizer'):\n"
        "    spec = importlib.util.spec_from_file_location(name, f'functions/{name}/app.py')\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in ('aws_xray_sdk', 'stripe', 'argon2', 'jwt') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": f"{ROOT / 'layers' / 'vbwd'}:{ROOT}"},
    )
    assert result.stdout.strip() == "[]", result.stderr

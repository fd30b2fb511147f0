"""The design card's layering rules, checked on the source: every import (lazy ones included) and every
``except`` clause of the layer and the functions.

* nothing above the store imports boto3, botocore or pynamodb;
* imports go downwards only: domain <- store <- services <- api <- functions (a function calls services
  through the api helpers, never the store);
* storage exceptions are caught and translated in one module, ``vbwd/store/errors.py`` (a store module may
  turn pynamodb's ``DoesNotExist`` into ``None``: a read's answer, not an error);
* HTTP statuses come from ``vbwd/api/errors.py``: no other module of the layer maps a domain error.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from local import ROOT

PACKAGE = ROOT / "layers" / "vbwd" / "vbwd"
STORAGE = ("boto3", "botocore", "pynamodb")
TIER = {"domain": 0, "store": 1, "services": 2, "api": 3}
FUNCTION_TIER = 4


def _files() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "functions").glob("*/app.py")])


def _tier(path: Path) -> int | None:
    if path.is_relative_to(ROOT / "functions"):
        return FUNCTION_TIER
    parts = path.relative_to(PACKAGE).parts
    return TIER.get(parts[0]) if len(parts) > 1 else None  # vbwd/__init__, settings, observability: shared


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _caught(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names.update(
                sub.attr if isinstance(sub, ast.Attribute) else sub.id
                for sub in ast.walk(node.type)
                if isinstance(sub, ast.Name | ast.Attribute)
            )
    return names


FILES = _files()


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_store_touches_storage_libraries(path: Path) -> None:
    if _tier(path) == TIER["store"]:
        return
    storage = {name for name in _imports(path) if name.split(".")[0] in STORAGE}
    assert not storage, f"{path.relative_to(ROOT)} imports {sorted(storage)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downwards(path: Path) -> None:
    tier = _tier(path)
    if tier is None:
        return
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "vbwd" or len(parts) < 2 or parts[1] not in TIER:
            continue
        target = TIER[parts[1]]
        if tier == FUNCTION_TIER:
            assert target != TIER["store"], f"{path.relative_to(ROOT)} reaches past the services into {name}"
        else:
            assert target <= tier, f"{path.relative_to(ROOT)} (tier {tier}) imports {name} (tier {target})"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_errors_are_translated_in_one_module(path: Path) -> None:
    if path == PACKAGE / "store" / "errors.py":
        return
    caught = _caught(path) & {
        "ClientError",
        "BotoCoreError",
        "PynamoDBException",
        "PutError",
        "UpdateError",
        "DeleteError",
        "GetError",
        "QueryError",
        "ScanError",
        "TransactWriteError",
        "TransactGetError",
        "TableError",
    }
    assert not caught, f"{path.relative_to(ROOT)} catches {sorted(caught)}"


def _error_statuses(path: Path) -> list[str]:
    """Error statuses a module writes itself: a 4xx/5xx literal given to a response, or a raw
    ``statusCode``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            status = node.args[0].value
            if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
                found.append(ast.unparse(node)[:60])
        if isinstance(node, ast.Dict):
            found.extend(
                "statusCode" for key in node.keys if isinstance(key, ast.Constant) and key.value == "statusCode"
            )
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_error_statuses_are_chosen_in_one_module(path: Path) -> None:
    if path == PACKAGE / "api" / "errors.py":
        assert _error_statuses(path)  # the one place does write them
        return
    assert not _error_statuses(path), f"{path.relative_to(ROOT)}: {_error_statuses(path)}"


def test_the_checks_see_real_code() -> None:
    assert "pynamodb.models" in _imports(PACKAGE / "store" / "base.py") or any(
        name.startswith("pynamodb") for name in _imports(PACKAGE / "store" / "base.py")
    )
    assert "ClientError" in _caught(PACKAGE / "store" / "errors.py") or "PynamoDBException" in _caught(
        PACKAGE / "store" / "errors.py"
    )
    assert _tier(PACKAGE / "services" / "tokens.py") == TIER["services"]
    assert any(name.startswith("vbwd.store") for name in _imports(PACKAGE / "services" / "tokens.py"))

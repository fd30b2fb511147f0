"""Heavy imports belong only in the functions that use them: a static walk of module-level imports.

Imports inside functions (lazy ones) and under ``if TYPE_CHECKING:`` are not followed: they cost nothing
at cold start. stripe may be loaded only by the two Stripe functions; PyJWT and argon2 are only ever
imported lazily (by the functions that sign, verify or hash)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from local import ROOT
from local import template as tpl

LAYER = ROOT / "layers" / "vbwd"
FUNCTIONS = tpl.functions(tpl.load())
STRIPE_FUNCTIONS = {"UserInvoicesPayFunction", "WebhooksStripeFunction"}


def _module_file(name: str) -> Path | None:
    base = LAYER / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return found


@cache
def loaded(name: str) -> frozenset[str]:
    """Every module a vbwd module loads at import time (vbwd modules followed, others listed)."""
    path = _module_file(name)
    if path is None:
        return frozenset()
    result: set[str] = set()
    parts = name.split(".")
    for parent in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__ first
        result |= loaded(".".join(parts[:parent]))
    for imported in _top_level_imports(path):
        if imported.startswith("vbwd"):
            if _module_file(imported) is not None:
                result |= {imported} | loaded(imported)
        else:
            result.add(imported)
    return frozenset(result)


def function_loads(logical_id: str) -> set[str]:
    result: set[str] = set()
    for imported in _top_level_imports(FUNCTIONS[logical_id].module_path):
        result.add(imported)
        if imported.startswith("vbwd"):
            result |= loaded(imported)
    return {name.split(".")[0] for name in result}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_heavy_packages_only_where_needed(logical_id: str) -> None:
    packages = function_loads(logical_id)
    assert ("stripe" in packages) == (logical_id in STRIPE_FUNCTIONS), sorted(packages)
    assert "jwt" not in packages and "argon2" not in packages, sorted(packages)
    assert "boto3" not in packages  # the store uses botocore through pynamodb; boto3 is for tooling
    assert "aws_xray_sdk" not in packages


def test_the_walk_sees_real_imports() -> None:
    assert "stripe" in function_loads("WebhooksStripeFunction")
    assert "pynamodb" in function_loads("UserTokensConsumeFunction")
    assert "vbwd.store.tokens" in loaded("vbwd.services.tokens")

"""Cold start: inside a Lambda the cyclic GC is off while a function module loads, and on again after.

``vbwd/__init__.py`` turns collection off when ``AWS_LAMBDA_FUNCTION_NAME`` is set; ``vbwd.init_finished``
freezes what the init built and turns it back on. A function module that never calls it would run its
invocations with the collector off, so every module must end by calling it (through ``http.entrypoint``
or directly). The subprocess cases import real function modules in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from local import ROOT
from local import template as tpl

FUNCTIONS = tpl.functions(tpl.load())

PROBE = r"""
import gc, importlib.util, json, sys
states = {"after_vbwd": None}
import vbwd
states["after_vbwd"] = gc.isenabled()
if len(sys.argv) > 1:
    spec = importlib.util.spec_from_file_location("function_app", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
states["after_module"] = gc.isenabled()
states["frozen"] = gc.get_freeze_count()
print(json.dumps(states))
"""


def probe(*, in_lambda: bool, module: str | None = None) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "vbwd"), str(ROOT)])
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "vbwd-test"
    argv = [sys.executable, "-c", PROBE] + ([str(ROOT / module)] if module else [])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_outside_a_lambda_the_collector_is_never_touched() -> None:
    assert probe(in_lambda=False, module="functions/health/app.py") == {
        "after_vbwd": True,
        "after_module": True,
        "frozen": 0,
    }


@pytest.mark.parametrize(
    "module", ["functions/user_invoices_get/app.py", "functions/authorizer/app.py", "functions/expire_invoices/app.py"]
)
def test_in_a_lambda_init_it_is_off_while_loading_and_on_after(module: str) -> None:
    states = probe(in_lambda=True, module=module)
    assert states["after_vbwd"] is False  # off from the first vbwd import...
    assert states["after_module"] is True  # ...on again once the module has loaded
    assert isinstance(states["frozen"], int) and states["frozen"] > 1000  # the init's objects, frozen


def _ends_the_init(statement: ast.stmt) -> bool:
    source = ast.unparse(statement)
    return source.startswith("lambda_handler = http.entrypoint(") or source == "init_finished()"


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_every_function_module_ends_its_init(logical: str) -> None:
    tree = ast.parse(FUNCTIONS[logical].module_path.read_text())
    assert _ends_the_init(tree.body[-1]), f"{logical}: the last statement must end the init (see vbwd/__init__.py)"


def test_init_finished_turns_a_disabled_collector_back_on() -> None:
    import gc

    from vbwd import init_finished

    gc.disable()
    try:
        init_finished()
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()

"""template.yaml invariants: every function is wired, sampled, logged and least-privileged."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local import ROOT
from local import template as tpl
from local.openapi import OUTPUT, render
from local.runner import LocalApi

TEMPLATE = tpl.load()
FUNCTIONS = tpl.functions(TEMPLATE)
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}


def _statements(logical_id: str) -> list[dict[str, Any]]:
    policies = TEMPLATE["Resources"][logical_id]["Properties"].get("Policies", [])
    found = []
    for policy in policies:
        assert isinstance(policy, dict) and "Statement" in policy, f"{logical_id}: use explicit statements"
        found.extend(policy["Statement"])
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _table_of(resource: Any) -> str | None:
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        match = re.match(r"\$\{(\w+)\.Arn\}", resource["Fn::Sub"])
        return match.group(1) if match else None
    return None


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_a_thin_handler_file_and_an_event_sample(logical_id: str) -> None:
    fn = FUNCTIONS[logical_id]
    assert fn.module_path.is_file(), fn.module_path
    source = fn.module_path.read_text()
    assert re.search(rf"^(def |){fn.handler_name}\b", source, re.M) or f"{fn.handler_name} =" in source
    code_lines = [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(code_lines) <= 40, f"{fn.module_path} has {len(code_lines)} code lines"
    assert (ROOT / "events" / f"{fn.code_uri.name}.json").is_file()


def test_every_event_sample_belongs_to_a_function_and_routes_to_it() -> None:
    api = LocalApi(TEMPLATE)
    by_dir = {fn.code_uri.name: fn for fn in FUNCTIONS.values()}
    samples = sorted((ROOT / "events").glob("*.json"))
    assert {path.stem for path in samples} == set(by_dir)
    for path in samples:
        event = json.loads(path.read_text())
        fn = by_dir[path.stem]
        if fn.routes:
            matched = api.match(event["requestContext"]["http"]["method"], event["rawPath"])
            assert matched is not None, path
            route, params = matched
            assert route.function == fn.logical_id, path
            assert event["routeKey"] == route.route_key
            assert event.get("pathParameters", {}) == params
            assert event["version"] == "2.0"
        elif fn.schedules:
            assert event["detail-type"] == "Scheduled Event"
        else:
            assert event["type"] == "REQUEST" and event["identitySource"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_no_function_has_a_wildcard_dynamodb_policy(logical_id: str) -> None:
    for statement in _statements(logical_id):
        for action in _actions(statement):
            assert "*" not in action, f"{logical_id}: {action}"
            if action.startswith("dynamodb:"):
                for resource in _resources(statement):
                    assert resource != "*" and _table_of(resource), f"{logical_id}: {resource}"
                    assert "*" not in str(resource), f"{logical_id}: {resource}"


@pytest.mark.parametrize(
    "logical_id",
    sorted(name for name, fn in FUNCTIONS.items() if fn.routes and all(r.method == "GET" for r in fn.routes)),
)
def test_read_only_functions_only_read(logical_id: str) -> None:
    for statement in _statements(logical_id):
        dynamo = {a for a in _actions(statement) if a.startswith("dynamodb:")}
        assert dynamo <= READ_ACTIONS, f"{logical_id} may {dynamo - READ_ACTIONS}"


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_a_log_group_with_retention(logical_id: str) -> None:
    groups = [
        res
        for res in tpl.resources(TEMPLATE, "AWS::Logs::LogGroup").values()
        if res["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    ]
    assert len(groups) == 1, logical_id
    assert groups[0]["Properties"]["RetentionInDays"]


def test_globals() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Tracing"] == "Active"
    assert globals_["LoggingConfig"]["LogFormat"] == "JSON"
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} <= set(globals_["Environment"]["Variables"])
    layer = TEMPLATE["Resources"]["VbwdLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert (ROOT / layer["Properties"]["ContentUri"] / "requirements.txt").is_file()


def test_tables_are_on_demand_with_point_in_time_recovery() -> None:
    for name, props in tpl.tables(TEMPLATE).items():
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def test_authorizer_is_a_cached_request_authorizer() -> None:
    default, authorizers = tpl.api(TEMPLATE)
    spec = authorizers[default or ""]
    assert spec.function == "AuthorizerFunction"
    assert spec.ttl > 0 and spec.simple_responses and spec.payload_version == "2.0"
    assert spec.headers == ("authorization",)
    assert "routeKey" in spec.context  # a decision is cached per route, never reused across roles


def test_jwt_key_is_generated_by_the_template_and_the_url_is_output() -> None:
    secret = TEMPLATE["Resources"]["JwtSigningSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "GenerateSecretString" in secret["Properties"]
    assert "ApiUrl" in TEMPLATE["Outputs"]


def test_openapi_document_is_current_and_covers_every_route() -> None:
    current = render()
    assert OUTPUT.read_text() == current, "run `make openapi`"
    document = json.loads(current)
    assert document["openapi"].startswith("3.1")
    for fn in FUNCTIONS.values():
        for route in fn.routes:
            if route.path == "/api/v1/openapi.json":
                continue
            operation = document["paths"].get(route.path, {}).get(route.method.lower())
            assert operation is not None, route.route_key
            assert ("security" in operation) == (route.authorizer is not None), route.route_key


def test_functions_take_their_environment_from_globals_only() -> None:
    """The runner serves every function from one process with one environment: that is faithful only
    while no function declares variables of its own."""
    for name, fn in tpl.resources(TEMPLATE, "AWS::Serverless::Function").items():
        assert "Environment" not in fn["Properties"], name


def test_local_environment_resolves_tables_and_parameter_defaults() -> None:
    env = tpl.environment(TEMPLATE, {"UsersTable": "x_UsersTable"})
    assert env["USERS_TABLE"] == "x_UsersTable"
    assert env["DEFAULT_CURRENCY"] == TEMPLATE["Parameters"]["DefaultCurrency"]["Default"]
    assert "VBWD_JWT_SECRET_ARN" not in env  # local defaults apply instead of AWS secrets


def test_functions_skip_pydantic_plugin_discovery_at_cold_start() -> None:
    """No pydantic plugin is used; without this every init scans all installed packages' entry points."""
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"

"""Read ``template.yaml``: tables, functions, routes and the authorizer, as the runner needs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local import ROOT

TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation short-form intrinsics (``!Ref``, ``!GetAtt``, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path) as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 -- a SafeLoader subclass
    return loaded


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    authorizer: str | None  # None: no authorizer (Auth: {Authorizer: NONE})

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str
    headers: tuple[str, ...]
    context: tuple[str, ...]
    ttl: int
    simple_responses: bool
    payload_version: str


@dataclass
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    routes: list[Route] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)

    @property
    def module_path(self) -> Path:
        return self.code_uri / (self.handler.rsplit(".", 1)[0] + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> the table's CloudFormation properties."""
    return {name: res["Properties"] for name, res in resources(template, "AWS::DynamoDB::Table").items()}


def create_table_request(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """The ``CreateTable`` arguments equivalent to a template table (on-demand billing)."""
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            request[key] = [
                {k: v for k, v in index.items() if k in {"IndexName", "KeySchema", "Projection"}}
                for index in props[key]
            ]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return request


def api(template: dict[str, Any]) -> tuple[str | None, dict[str, Authorizer]]:
    """The HTTP API's default authorizer and its authorizers."""
    (props,) = [res.get("Properties", {}) for res in resources(template, "AWS::Serverless::HttpApi").values()]
    auth = props.get("Auth", {})
    authorizers = {}
    for name, spec in auth.get("Authorizers", {}).items():
        identity = spec.get("Identity", {})
        authorizers[name] = Authorizer(
            name=name,
            function=spec["FunctionArn"]["Fn::GetAtt"][0],
            headers=tuple(h.lower() for h in identity.get("Headers", [])),
            context=tuple(identity.get("Context", [])),
            ttl=int(identity.get("ReauthorizeEvery", 300)),
            simple_responses=bool(spec.get("EnableSimpleResponses", False)),
            payload_version=str(spec.get("AuthorizerPayloadFormatVersion", "2.0")),
        )
    return auth.get("DefaultAuthorizer"), authorizers


def functions(template: dict[str, Any], root: Path = ROOT) -> dict[str, Function]:
    default_authorizer, _ = api(template)
    globals_ = template.get("Globals", {}).get("Function", {})
    found = {}
    for name, res in resources(template, "AWS::Serverless::Function").items():
        props = res["Properties"]
        fn = Function(name, root / props["CodeUri"], props.get("Handler", globals_.get("Handler", "")))
        for event in props.get("Events", {}).values():
            spec = event.get("Properties", {})
            if event["Type"] == "HttpApi":
                authorizer = spec.get("Auth", {}).get("Authorizer", default_authorizer)
                fn.routes.append(
                    Route(spec["Method"].upper(), spec["Path"], name, None if authorizer == "NONE" else authorizer)
                )
            elif event["Type"] in {"Schedule", "ScheduleV2"}:
                fn.schedules.append(spec.get("ScheduleExpression", spec.get("Schedule", "")))
        found[name] = fn
    return found


def environment(template: dict[str, Any], table_names: dict[str, str]) -> dict[str, str]:
    """The functions' environment: references to tables become local table names, references to template
    parameters their defaults. Other intrinsics (secret ARNs) are left out, so the local defaults
    documented in the README apply. The template keeps every variable in Globals, so one process-wide
    environment is faithful for every function (a test checks that no function sets its own)."""
    env: dict[str, str] = {}
    parameters = template.get("Parameters", {})
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    for name, value in variables.items():
        if isinstance(value, dict):
            ref = value.get("Ref")
            if ref in table_names:
                env[name] = table_names[ref]
            elif ref in parameters and "Default" in parameters[ref]:
                env[name] = str(parameters[ref]["Default"])
            continue
        env[name] = str(value)
    return env

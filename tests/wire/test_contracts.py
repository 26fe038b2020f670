"""Contracts beyond the vectors, built inside each test (objects built at import time run before
``make mutate`` activates a mutant): every invalid part named, exports, lookups, validation."""

from __future__ import annotations

import traceback
from datetime import datetime

import pytest
from pydantic import BaseModel, Field

from arvo_temporal import (
    ArvoContractError,
    ConfigViolation,
    create_arvo_contract,
    create_arvo_orchestrator_contract,
)
from arvo_temporal.contracts import (
    JSON_SCHEMA_DIALECT,
    create_simple_arvo_contract,
    error_to_data,
    validate_data,
)
from arvo_temporal.errors import DataValidationError


class In(BaseModel):
    a: int


class Out(BaseModel):
    total: int = Field(alias="sumTotal")


class Stamp(BaseModel):
    at: datetime
    xs: list[int] = []


def test_every_invalid_part_of_a_contract_is_named():
    with pytest.raises(ArvoContractError) as raised:
        create_arvo_contract(
            uri="",
            type="Bad",
            domain="BAD",
            versions={
                "1.0": {"accepts": In, "emits": {}},
                "0.0.0": {"accepts": In, "emits": {}},
                "1.0.0": ["accepts", "emits"],
                "2.0.0": {"accepts": In},
                "3.0.0": {"accepts": int, "emits": "nope"},
                "4.0.0": {
                    "accepts": "In",
                    "emits": {"Bad Type": Out, "arvo.orc.x.done": Out, "evt.x.y.ok": dict},
                },
            },
        )
    assert str(raised.value).startswith("invalid contract '': ")
    assert raised.value.errors == {
        "uri": "must be a non-empty, properly encoded URI",
        "type": "must be at least three dot-separated lowercase alphanumeric segments",
        "domain": "must be null or match ^[a-z0-9.]+$",
        "versions.1.0": "version keys must be X.Y.Z",
        "versions.0.0.0": "0.0.0 is reserved for the wildcard",
        "versions.1.0.0": "must be {'accepts': Model, 'emits': {type: Model}}",
        "versions.2.0.0": "must be {'accepts': Model, 'emits': {type: Model}}",
        "versions.3.0.0.accepts": "must be a pydantic model class",
        "versions.3.0.0.emits": "must map event types to pydantic model classes",
        "versions.4.0.0.accepts": "must be a pydantic model class",
        "versions.4.0.0.emits.evt.x.y.ok": "must be a pydantic model class",
        "versions.4.0.0.emits.Bad Type": "is not a valid event type",
        "versions.4.0.0.emits.arvo.orc.x.done": "must not start with 'arvo.orc'",
    }
    with pytest.raises(ArvoContractError) as reserved:
        create_arvo_contract(uri="#/x", type="arvo.orc.thing", versions={})
    assert reserved.value.errors == {
        "type": "must not start with 'arvo.orc' (reserved for orchestrators)",
        "versions": "at least one version is required",
    }


def test_every_invalid_part_of_an_orchestrator_contract_is_named():
    with pytest.raises(ArvoContractError) as raised:
        create_arvo_orchestrator_contract(
            uri="#/orc",
            name="Bad-Name",
            versions={"1.0.0": {"init": In}, "2.0.0": ["init", "complete"], "3.0.0": "x"},
        )
    assert str(raised.value).startswith("invalid orchestrator contract '#/orc': ")
    assert raised.value.errors == {
        "name": "must match ^[a-z0-9.]+$",
        "versions.1.0.0": "must be {'init': Model, 'complete': Model}",
        "versions.2.0.0": "must be {'init': Model, 'complete': Model}",
        "versions.3.0.0": "must be {'init': Model, 'complete': Model}",
    }
    with pytest.raises(ArvoContractError) as domain:
        create_arvo_orchestrator_contract(
            uri="#/orc", name="ok", domain="NO", versions={"1.0.0": {"init": In, "complete": Out}}
        )
    assert domain.value.errors == {"domain": "must be null or match ^[a-z0-9.]+$"}


def _described():
    return create_simple_arvo_contract(
        uri="#/t/sum",
        type="t.sum",
        domain="math",
        description="Sums",
        metadata={"team": "core"},
        versions={"1.10.0": {"accepts": In, "emits": Out}, "1.9.0": {"accepts": In, "emits": Out}},
    )


def test_a_simple_contract_carries_its_parts_into_every_version():
    contract = _described()
    assert (contract.domain, contract.description) == ("math", "Sums")
    assert dict(contract.metadata) == {
        "team": "core",
        "contractType": "SimpleArvoContract",
        "rootType": "t.sum",
    }
    assert contract.sorted_versions() == ["1.10.0", "1.9.0"], "numeric, newest first by default"
    assert contract.sorted_versions("asc") == ["1.9.0", "1.10.0"]
    assert contract.version("latest").version == "1.10.0"
    assert contract.version("oldest").version == "1.9.0"
    versioned = contract.version("1.9.0")
    assert (versioned.domain, versioned.description) == ("math", "Sums")
    with pytest.raises(ArvoContractError) as unknown:
        contract.version("2.0.0")
    assert unknown.value.errors == {"version": "known versions are ['1.9.0', '1.10.0']"}


def test_the_json_schema_export_has_arvo_shape():
    schema_of_in = {"$schema": JSON_SCHEMA_DIALECT, **In.model_json_schema()}
    schema_of_out = {"$schema": JSON_SCHEMA_DIALECT, **Out.model_json_schema(by_alias=True)}
    assert "sumTotal" in schema_of_out["properties"], "exported by alias, as on the wire"
    exported = _described().to_json_schema()
    assert [version["version"] for version in exported.pop("versions")] == ["1.9.0", "1.10.0"]
    assert exported == {
        "uri": "#/t/sum",
        "domain": "math",
        "description": "Sums",
        "metadata": {"team": "core", "contractType": "SimpleArvoContract", "rootType": "t.sum"},
    }
    version = _described().version("1.9.0").to_json_schema()
    error_schema = version["systemError"].pop("schema")
    assert error_schema["$schema"] == JSON_SCHEMA_DIALECT
    assert version == {
        "uri": "#/t/sum",
        "version": "1.9.0",
        "domain": "math",
        "description": "Sums",
        "metadata": {"team": "core", "contractType": "SimpleArvoContract", "rootType": "t.sum"},
        "accepts": {"type": "com.t.sum", "schema": schema_of_in},
        "systemError": {"type": "sys.com.t.sum.error"},
        "emits": [{"type": "evt.t.sum.success", "schema": schema_of_out}],
    }


def test_an_orchestrator_contract_adds_the_parent_subject_and_its_metadata():
    contract = create_arvo_orchestrator_contract(
        uri="#/orc",
        name="summer",
        domain="math",
        description="Sums things",
        metadata={"team": "core"},
        versions={"1.0.0": {"init": In, "complete": Out}},
    )
    assert (contract.domain, contract.description) == ("math", "Sums things")
    assert dict(contract.metadata) == {
        "team": "core",
        "contractType": "ArvoOrchestratorContract",
        "rootType": "summer",
        "completeEventType": "arvo.orc.summer.done",
        "initEventType": "arvo.orc.summer",
    }
    versioned = contract.version("1.0.0")
    parent = versioned.to_json_schema()["accepts"]["schema"]["properties"]["parentSubject$$"]
    assert (
        parent["description"] == "Subject of the parent orchestration; null for a root execution."
    )
    assert {"type": "string", "minLength": 1} in parent["anyOf"]
    assert versioned.validate_accepts({"a": 1, "parentSubject$$": "x"}) == {
        "parentSubject$$": "x",
        "a": 1,
    }
    with pytest.raises(DataValidationError):
        versioned.validate_accepts({"a": 1, "parentSubject$$": ""})
    by_name = versioned.accepts_schema.model_validate({"a": 1, "parent_subject": "p"})
    assert by_name.model_dump(by_alias=True) == {"a": 1, "parentSubject$$": "p"}


def test_validation_names_what_and_where():
    with pytest.raises(DataValidationError) as nested:
        validate_data(Stamp, {"at": "2025-01-01T00:00:00Z", "xs": [1, "a"]})
    assert str(nested.value) == "data failed validation: xs.1: Input should be a valid integer"
    assert nested.value.issues == [("xs.1", "Input should be a valid integer")]
    with pytest.raises(DataValidationError) as root:
        validate_data(Stamp, [1])
    assert root.value.issues == [("(root)", "Input should be an object")]
    with pytest.raises(DataValidationError) as nan:
        validate_data(Stamp, {"at": float("nan")}, what="stamp")
    assert str(nan.value) == (
        "stamp is not JSON: (root): Out of range float values are not JSON compliant"
    )
    assert nan.value.issues == [("(root)", "Out of range float values are not JSON compliant")]
    parsed = validate_data(Stamp, {"at": "2025-01-01T00:00:00Z"})
    assert parsed == {"at": "2025-01-01T00:00:00Z", "xs": []}, "JSON values, not datetimes"


def test_versioned_validation_says_which_event():
    versioned = _described().version("1.9.0")
    with pytest.raises(DataValidationError, match=r"^com\.t\.sum data failed validation: a: "):
        versioned.validate_accepts({})
    with pytest.raises(DataValidationError, match=r"^evt\.t\.sum\.success data failed validation"):
        versioned.validate_emit("evt.t.sum.success", {})
    with pytest.raises(ArvoContractError) as unknown:
        versioned.validate_emit("evt.t.other", {})
    assert str(unknown.value).startswith("evt.t.other is not emitted by #/t/sum version 1.9.0")
    assert unknown.value.errors == {"type": "expected one of ['evt.t.sum.success']"}


def test_error_data_names_violations_and_keeps_the_stack():
    assert error_to_data(ConfigViolation("bad")) == {
        "errorName": "ViolationError<Config>",
        "errorMessage": "ViolationError<Config> bad",
        "errorStack": None,
    }
    try:
        raise KeyError("k")
    except KeyError as raised:
        error = raised
    data = error_to_data(error)
    assert data["errorName"] == "KeyError"
    assert data["errorStack"] == "".join(traceback.format_exception(error))

"""contracts.json replayed: contract types, metadata, versions, dataschemas, validation."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from arvo_temporal import (
    ArvoContractError,
    compare_semantic_versions,
    create_arvo_contract,
    create_arvo_orchestrator_contract,
    parse_dataschema,
)
from arvo_temporal.contracts import WILDCARD_VERSION, ArvoErrorData, create_simple_arvo_contract
from tests.conftest import load_vector
from tests.fixtures import anchors

VECTORS = load_vector("arvo-ts-v3/contracts.json")


class Empty(BaseModel):
    pass


def _versioned_view(versioned):
    return {
        "uri": versioned.uri,
        "version": versioned.version,
        "dataschema": versioned.dataschema,
        "accepts_type": versioned.accepts_type,
        "emit_types": versioned.emit_types,
        "systemError": {
            "type": versioned.system_error.type,
            "dataschema": versioned.system_error.dataschema,
        },
        "metadata": dict(versioned.metadata),
        "domain": versioned.domain,
    }


def test_simple_contract():
    case = VECTORS["simple_contract"]
    contract = anchors.calculator
    assert (contract.uri, contract.type) == (case["uri"], case["type"])
    assert dict(contract.metadata) == case["metadata"]
    assert contract.system_error.type == case["systemError_type"]
    assert contract.sorted_versions("asc") == case["versions"]
    assert _versioned_view(contract.version("1.0.0")) == case["versioned"]
    exported = contract.to_json_schema()
    assert exported["description"] == case["toJsonSchema"]["description"]
    version = exported["versions"][0]
    assert version["accepts"]["schema"]["required"] == ["a", "b"]
    assert version["systemError"]["schema"]["required"] == [
        "errorName",
        "errorMessage",
        "errorStack",
    ]
    assert [emit["type"] for emit in version["emits"]] == ["evt.calculator.add.success"]


def test_orchestrator_contract():
    case = VECTORS["orchestrator_contract"]
    contract = anchors.adder
    assert (contract.uri, contract.type) == (case["uri"], case["type"])
    assert dict(contract.metadata) == case["metadata"]
    assert contract.system_error.type == case["systemError_type"]
    assert _versioned_view(contract.version("1.0.0")) == case["versioned"]
    accepts = contract.version("1.0.0").to_json_schema()["accepts"]
    assert accepts["type"] == case["accepts_json_schema"]["type"]
    assert set(accepts["schema"]["required"]) == set(
        case["accepts_json_schema"]["schema"]["required"]
    )
    assert "parentSubject$$" in accepts["schema"]["properties"]


def test_multi_version_contract_ordering_and_lookup():
    case = VECTORS["multi_version_contract"]
    contract = anchors.multi
    assert contract.sorted_versions("desc") == case["sorted_desc"]
    assert contract.sorted_versions("asc") == case["sorted_asc"]
    for selector in ("latest", "any", "oldest"):
        assert contract.version(selector).version == case[selector]
    assert case["unknown_version_throws"] is True
    with pytest.raises(ArvoContractError, match="no version"):
        contract.version("9.9.9")
    assert _versioned_view(contract.version("1.2.0")) == case["v120"]
    # Schema defaults are applied by validation, unknown keys stripped.
    assert contract.version("1.2.0").validate_accepts({"x": 2, "junk": 1}) == {"x": 2, "scale": 1}


@pytest.mark.parametrize(
    "case", VECTORS["compareSemanticVersions"], ids=lambda c: f"{c['a']}-{c['b']}"
)
def test_compare_semantic_versions(case):
    assert compare_semantic_versions(case["a"], case["b"]) == case["sign"]


@pytest.mark.parametrize("case", VECTORS["dataschema_parse"], ids=lambda c: c["dataschema"])
def test_dataschema_parse(case):
    parsed = parse_dataschema(case["dataschema"])
    expected = case["parsed"]
    assert parsed == ((expected["uri"], expected["version"]) if expected else None)
    assert (parsed is not None) is case["isValid"]


def test_wildcard_version():
    assert VECTORS["wildcard_version"] == WILDCARD_VERSION


def _build(label):
    emits = {"evt.x.y.done": Empty}
    if label == "type starting with arvo.orc":
        return create_arvo_contract(
            uri="#/x", type="arvo.orc.thing", versions={"1.0.0": {"accepts": Empty, "emits": emits}}
        )
    if label == "emit type starting with arvo.orc":
        return create_arvo_contract(
            uri="#/x",
            type="com.x.y",
            versions={"1.0.0": {"accepts": Empty, "emits": {"arvo.orc.x.done": Empty}}},
        )
    if label == "version 0.0.0 (reserved wildcard)":
        return create_arvo_contract(
            uri="#/x", type="com.x.y", versions={"0.0.0": {"accepts": Empty, "emits": emits}}
        )
    if label == "version 1.0":
        return create_arvo_contract(
            uri="#/x", type="com.x.y", versions={"1.0": {"accepts": Empty, "emits": emits}}
        )
    if label == "no versions":
        return create_arvo_contract(uri="#/x", type="com.x.y", versions={})
    if label == "uri with a space":
        return create_arvo_contract(
            uri="#/x y", type="com.x.y", versions={"1.0.0": {"accepts": Empty, "emits": emits}}
        )
    if label == "type with two segments":
        return create_arvo_contract(
            uri="#/x", type="com.x", versions={"1.0.0": {"accepts": Empty, "emits": emits}}
        )
    if label.startswith("orchestrator name"):
        name = {
            "with uppercase": "Adder",
            "with hyphen": "my-adder",
            "with dots (allowed)": "my.adder",
        }
        key = label.removeprefix("orchestrator name ")
        return create_arvo_orchestrator_contract(
            uri="#/x", name=name[key], versions={"1.0.0": {"init": Empty, "complete": Empty}}
        )
    if label == "contract domain with uppercase":
        return create_simple_arvo_contract(
            uri="#/x",
            type="x.y",
            domain="Edge",
            versions={"1.0.0": {"accepts": Empty, "emits": Empty}},
        )
    raise AssertionError(f"no builder for {label}")


@pytest.mark.parametrize("case", VECTORS["creation_validation"], ids=lambda c: c["label"])
def test_creation_validation(case):
    if case["throws"]:
        with pytest.raises(ArvoContractError) as raised:
            _build(case["label"])
        assert raised.value.errors, "the error must name what is invalid"
    else:
        assert _build(case["label"]).type == case["value"]


def test_arvo_error_schema():
    case = VECTORS["ArvoErrorSchema_json"]
    contract = create_simple_arvo_contract(
        uri="#/e", type="e.e", versions={"1.0.0": {"accepts": Empty, "emits": Empty}}
    )
    assert contract.system_error.type == "sys.com.e.e.error"
    exported = ArvoErrorData.model_json_schema()
    assert exported["required"] == case["schema"]["required"]
    for key, spec in case["schema"]["properties"].items():
        assert exported["properties"][key]["description"] == spec["description"]

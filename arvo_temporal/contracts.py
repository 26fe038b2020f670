"""Arvo contracts: versioned event schemas a service or orchestrator promises to honour.

Schemas are pydantic models. Validation follows zod as Arvo uses it (docs/arvo.md §2): data is
validated as JSON in strict mode (a string is never coerced into a number), unknown keys are
stripped, defaults are applied, and the parsed data is what an event carries. Every contract also
exports JSON Schema so services in other languages can read it.

Naming (docs/arvo.md §2, §12.4):
a contract ``type`` is the event type it accepts; its system error is
``sys.<type>.error`` with the wildcard dataschema ``<uri>/0.0.0``; orchestrator contracts accept
``arvo.orc.<name>`` (with the required, nullable ``parentSubject$$``) and emit
``arvo.orc.<name>.done``.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from arvo_temporal.errors import ArvoContractError, DataValidationError, ViolationError
from arvo_temporal.uri import is_properly_encoded_uri

__all__ = [
    "ORCHESTRATOR_CONTRACT_TYPE",
    "PARENT_SUBJECT_KEY",
    "SIMPLE_CONTRACT_TYPE",
    "WILDCARD_VERSION",
    "ArvoContract",
    "ArvoErrorData",
    "ContractVersionSpec",
    "SchemaModel",
    "SystemErrorSpec",
    "VersionedArvoContract",
    "build_dataschema",
    "check_data",
    "compare_semantic_versions",
    "create_arvo_contract",
    "create_arvo_orchestrator_contract",
    "create_simple_arvo_contract",
    "error_to_data",
    "parse_dataschema",
    "validate_data",
]

WILDCARD_VERSION = "0.0.0"
PARENT_SUBJECT_KEY = "parentSubject$$"
ORCHESTRATOR_CONTRACT_TYPE = "ArvoOrchestratorContract"
SIMPLE_CONTRACT_TYPE = "SimpleArvoContract"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPE_PATTERN = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+\.[a-z0-9]+$")
_SEMVER_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
_DOMAIN_PATTERN = re.compile(r"^[a-z0-9.]+$")
_NAME_PATTERN = re.compile(r"^[a-z0-9.]+$")

SchemaModel: TypeAlias = type[BaseModel]


class ArvoErrorData(BaseModel):
    """Arvo's system error payload: all three keys required, ``errorStack`` nullable."""

    model_config = ConfigDict(frozen=True)

    errorName: str = Field(description="The name of the error.")
    errorMessage: str = Field(description="A descriptive message for the error.")
    errorStack: str | None = Field(description="The stack trace of the error.")


def error_to_data(error: BaseException) -> dict[str, Any]:
    """The ``sys.*.error`` data for an exception: its name, message and stack (or null).

    The name is the class name, except for Arvo violations whose name is ``ViolationError<Kind>``.
    """
    name = error.name if isinstance(error, ViolationError) else type(error).__name__
    stack = "".join(traceback.format_exception(error)) if error.__traceback__ else None
    return {"errorName": name, "errorMessage": str(error), "errorStack": stack}


def compare_semantic_versions(left: str, right: str) -> int:
    """-1, 0 or 1, comparing ``X.Y.Z`` numerically per component (``1.10.0 > 1.9.9``)."""
    a = tuple(int(part) for part in left.split("."))
    b = tuple(int(part) for part in right.split("."))
    return (a > b) - (a < b)


def build_dataschema(uri: str, version: str) -> str:
    """``<uri>/<version>``, the dataschema every contract event carries."""
    return f"{uri}/{version}"


def parse_dataschema(dataschema: str | None) -> tuple[str, str] | None:
    """Split on the last ``/``: ``(uri, version)`` when the tail is ``X.Y.Z``, else ``None``."""
    if not dataschema or "/" not in dataschema:
        return None
    uri, _, version = dataschema.rpartition("/")
    if not _SEMVER_PATTERN.match(version):
        return None
    return uri, version


def _issues(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (".".join(str(part) for part in issue["loc"]) or "(root)", issue["msg"])
        for issue in error.errors()
    ]


# ``json.dumps(data, allow_nan=False)`` builds a new encoder per call; one shared encoder
# (stateless between calls) gives the same text.
_STRICT_JSON = json.JSONEncoder(allow_nan=False)


def _validated_model(schema: SchemaModel, data: Any, what: str) -> BaseModel:
    try:
        text = _STRICT_JSON.encode(data)
    except (TypeError, ValueError) as error:
        raise DataValidationError(f"{what} is not JSON", [("(root)", str(error))]) from None
    try:
        model: BaseModel = schema.__pydantic_validator__.validate_json(text, strict=True)
    except ValidationError as error:
        raise DataValidationError(f"{what} failed validation", _issues(error)) from None
    return model


def check_data(schema: SchemaModel, data: Any, *, what: str = "data") -> None:
    """Validate ``data`` as :func:`validate_data` does, for callers that only need the verdict
    (no parsed copy is built).

    Raises:
        DataValidationError: listing every issue with its location.
    """
    _validated_model(schema, data, what)


def validate_data(schema: SchemaModel, data: Any, *, what: str = "data") -> dict[str, Any]:
    """Validate ``data`` against ``schema`` as JSON (strict), returning the parsed JSON: unknown
    keys stripped, defaults applied, aliases (``parentSubject$$``) as the wire spells them.

    Raises:
        DataValidationError: listing every issue with its location.
    """
    model = _validated_model(schema, data, what)
    parsed: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    if PARENT_SUBJECT_KEY in parsed:
        # Arvo's schema puts parentSubject$$ first; keep that order on the wire.
        parsed = {PARENT_SUBJECT_KEY: parsed.pop(PARENT_SUBJECT_KEY), **parsed}
    return parsed


def _json_schema(schema: SchemaModel) -> dict[str, Any]:
    exported = schema.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, **exported}


@dataclass(frozen=True)
class ContractVersionSpec:
    """What one version of a contract accepts and emits."""

    accepts: SchemaModel
    emits: Mapping[str, SchemaModel]


@dataclass(frozen=True)
class SystemErrorSpec:
    """The version-independent system error of a contract."""

    type: str
    schema: SchemaModel = ArvoErrorData
    dataschema: str | None = None


@dataclass(frozen=True)
class VersionedArvoContract:
    """One version of a contract (Arvo's ``contract.version("1.0.0")``)."""

    uri: str
    version: str
    accepts_type: str
    accepts_schema: SchemaModel
    emits: Mapping[str, SchemaModel]
    system_error: SystemErrorSpec
    domain: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dataschema(self) -> str:
        """``<uri>/<version>``."""
        return build_dataschema(self.uri, self.version)

    @property
    def emit_types(self) -> list[str]:
        """The emitted event types, in declaration order."""
        return list(self.emits)

    @property
    def is_orchestrator(self) -> bool:
        """True for an orchestrator contract (Arvo tells them apart by ``contractType``)."""
        return self.metadata.get("contractType") == ORCHESTRATOR_CONTRACT_TYPE

    @property
    def complete_event_type(self) -> str | None:
        """``arvo.orc.<name>.done`` for orchestrator contracts, else ``None``."""
        value = self.metadata.get("completeEventType")
        return value if isinstance(value, str) else None

    def schema_for(self, event_type: str) -> SchemaModel | None:
        """The schema of an accepted, emitted or system error type; ``None`` if unknown."""
        if event_type == self.accepts_type:
            return self.accepts_schema
        if event_type == self.system_error.type:
            return self.system_error.schema
        return self.emits.get(event_type)

    def validate_accepts(self, data: Any) -> dict[str, Any]:
        """Parsed accepted data. Raises :class:`DataValidationError`."""
        return validate_data(self.accepts_schema, data, what=f"{self.accepts_type} data")

    def validate_emit(self, event_type: str, data: Any) -> dict[str, Any]:
        """Parsed data of an emitted type.

        Raises:
            ArvoContractError: when the type is not emitted by this version.
            DataValidationError: when the data breaks the schema.
        """
        schema = self.emits.get(event_type)
        if schema is None:
            raise ArvoContractError(
                f"{event_type} is not emitted by {self.uri} version {self.version}",
                {"type": f"expected one of {sorted(self.emits)}"},
            )
        return validate_data(schema, data, what=f"{event_type} data")

    def to_json_schema(self) -> dict[str, Any]:
        """JSON Schema of this version, in the shape of Arvo's ``toJsonSchema``."""
        return {
            "uri": self.uri,
            "version": self.version,
            "domain": self.domain,
            "description": self.description,
            "metadata": dict(self.metadata),
            "accepts": {"type": self.accepts_type, "schema": _json_schema(self.accepts_schema)},
            "systemError": {
                "type": self.system_error.type,
                "schema": _json_schema(self.system_error.schema),
            },
            "emits": [
                {"type": event_type, "schema": _json_schema(schema)}
                for event_type, schema in self.emits.items()
            ],
        }


@dataclass(frozen=True)
class ArvoContract:
    """A versioned contract: ``type`` accepted, per version an accepts schema and emit schemas."""

    uri: str
    type: str
    versions: Mapping[str, ContractVersionSpec]
    domain: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # ``version`` results by requested version: a handler asks on every event.
    _resolved: dict[str, VersionedArvoContract] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def system_error(self) -> SystemErrorSpec:
        """``sys.<type>.error`` with Arvo's error schema and the wildcard dataschema."""
        return SystemErrorSpec(
            type=f"sys.{self.type}.error",
            dataschema=build_dataschema(self.uri, WILDCARD_VERSION),
        )

    @property
    def is_orchestrator(self) -> bool:
        """True for an orchestrator contract."""
        return self.metadata.get("contractType") == ORCHESTRATOR_CONTRACT_TYPE

    def sorted_versions(self, order: Literal["asc", "desc"] = "desc") -> list[str]:
        """Version strings sorted numerically."""
        ordered = sorted(self.versions, key=lambda v: tuple(int(p) for p in v.split(".")))
        return ordered if order == "asc" else ordered[::-1]

    def version(self, version: str) -> VersionedArvoContract:
        """A version by exact ``X.Y.Z``, or ``"latest"``/``"any"`` (highest) or ``"oldest"``.

        Raises:
            ArvoContractError: for an unknown version.
        """
        resolved = self._resolved.get(version)
        if resolved is None:
            resolved = self._resolve(version)
            # Bounded by the contract: its versions plus "latest", "any" and "oldest" (an
            # unknown version raises before anything is kept).
            self._resolved[version] = resolved
        return resolved

    def _resolve(self, version: str) -> VersionedArvoContract:
        if version in ("latest", "any"):
            version = self.sorted_versions("desc")[0]
        elif version == "oldest":
            version = self.sorted_versions("asc")[0]
        spec = self.versions.get(version)
        if spec is None:
            raise ArvoContractError(
                f"contract {self.uri} has no version {version!r}",
                {"version": f"known versions are {self.sorted_versions('asc')}"},
            )
        return VersionedArvoContract(
            uri=self.uri,
            version=version,
            accepts_type=self.type,
            accepts_schema=spec.accepts,
            emits=dict(spec.emits),
            system_error=self.system_error,
            domain=self.domain,
            description=self.description,
            metadata=dict(self.metadata),
        )

    def to_json_schema(self) -> dict[str, Any]:
        """JSON Schema of every version, for non-Python services (Arvo's ``toJsonSchema``)."""
        return {
            "uri": self.uri,
            "domain": self.domain,
            "description": self.description,
            "metadata": dict(self.metadata),
            "versions": [
                self.version(version).to_json_schema() for version in self.sorted_versions("asc")
            ],
        }


def _spec(raw: Any, where: str, errors: dict[str, str]) -> ContractVersionSpec | None:
    if isinstance(raw, ContractVersionSpec):
        return raw
    if not isinstance(raw, Mapping) or "accepts" not in raw or "emits" not in raw:
        errors[where] = "must be {'accepts': Model, 'emits': {type: Model}}"
        return None
    accepts, emits = raw["accepts"], raw["emits"]
    if not (isinstance(accepts, type) and issubclass(accepts, BaseModel)):
        errors[f"{where}.accepts"] = "must be a pydantic model class"
    if not isinstance(emits, Mapping):
        errors[f"{where}.emits"] = "must map event types to pydantic model classes"
        return None
    for event_type, schema in emits.items():
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            errors[f"{where}.emits.{event_type}"] = "must be a pydantic model class"
    return ContractVersionSpec(accepts=accepts, emits=dict(emits))


def _check_contract(
    uri: str,
    contract_type: str,
    versions: Mapping[str, Any],
    domain: str | None,
    *,
    allow_orchestrator_types: bool,
) -> dict[str, ContractVersionSpec]:
    errors: dict[str, str] = {}
    if not isinstance(uri, str) or not uri or not is_properly_encoded_uri(uri):
        errors["uri"] = "must be a non-empty, properly encoded URI"
    if not _TYPE_PATTERN.match(contract_type):
        errors["type"] = "must be at least three dot-separated lowercase alphanumeric segments"
    elif contract_type.startswith("arvo.orc") and not allow_orchestrator_types:
        errors["type"] = "must not start with 'arvo.orc' (reserved for orchestrators)"
    if domain is not None and not _DOMAIN_PATTERN.match(domain):
        errors["domain"] = "must be null or match ^[a-z0-9.]+$"
    if not versions:
        errors["versions"] = "at least one version is required"
    specs: dict[str, ContractVersionSpec] = {}
    for version, raw in (versions or {}).items():
        where = f"versions.{version}"
        if not _SEMVER_PATTERN.match(version):
            errors[where] = "version keys must be X.Y.Z"
            continue
        if version == WILDCARD_VERSION:
            errors[where] = "0.0.0 is reserved for the wildcard"
            continue
        spec = _spec(raw, where, errors)
        if spec is None:
            continue
        for event_type in spec.emits:
            if not _TYPE_PATTERN.match(event_type):
                errors[f"{where}.emits.{event_type}"] = "is not a valid event type"
            elif event_type.startswith("arvo.orc") and not allow_orchestrator_types:
                errors[f"{where}.emits.{event_type}"] = "must not start with 'arvo.orc'"
        specs[version] = spec
    if errors:
        raise ArvoContractError(f"invalid contract {uri!r}", errors)
    return specs


def create_arvo_contract(
    *,
    uri: str,
    type: str,
    versions: Mapping[str, Mapping[str, Any] | ContractVersionSpec],
    domain: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ArvoContract:
    """A service contract (Arvo's ``createArvoContract``).

    Example::

        calculator = create_arvo_contract(
            uri="#/calculator/add", type="com.calculator.add",
            versions={"1.0.0": {"accepts": AddInput, "emits": {"evt.calculator.add.success": Sum}}},
        )

    Raises:
        ArvoContractError: naming every invalid part.
    """
    specs = _check_contract(uri, type, versions, domain, allow_orchestrator_types=False)
    return ArvoContract(
        uri=uri,
        type=type,
        versions=specs,
        domain=domain,
        description=description,
        metadata=dict(metadata or {}),
    )


def create_simple_arvo_contract(
    *,
    uri: str,
    type: str,
    versions: Mapping[str, Mapping[str, SchemaModel]],
    domain: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ArvoContract:
    """Arvo's ``createSimpleArvoContract``: type ``com.<type>``, one emit ``evt.<type>.success``.

    ``versions`` maps each version to ``{"accepts": Model, "emits": Model}``.
    """
    success = f"evt.{type}.success"
    return create_arvo_contract(
        uri=uri,
        type=f"com.{type}",
        versions={
            version: {"accepts": spec["accepts"], "emits": {success: spec["emits"]}}
            for version, spec in versions.items()
        },
        domain=domain,
        description=description,
        metadata={**(metadata or {}), "contractType": SIMPLE_CONTRACT_TYPE, "rootType": type},
    )


def _with_parent_subject(init: SchemaModel) -> SchemaModel:
    """``init`` plus Arvo's required, nullable ``parentSubject$$`` (min length 1)."""
    model: SchemaModel = create_model(
        f"{init.__name__}Init",
        __base__=init,
        parent_subject=(
            str | None,
            Field(
                alias=PARENT_SUBJECT_KEY,
                min_length=1,
                description="Subject of the parent orchestration; null for a root execution.",
            ),
        ),
    )
    model.model_config["populate_by_name"] = True
    model.model_rebuild(force=True)
    return model


def create_arvo_orchestrator_contract(
    *,
    uri: str,
    name: str,
    versions: Mapping[str, Mapping[str, SchemaModel]],
    domain: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ArvoContract:
    """An orchestrator contract (Arvo's ``createArvoOrchestratorContract``).

    ``versions`` maps each version to ``{"init": Model, "complete": Model}``. The contract accepts
    ``arvo.orc.<name>`` (the init model plus the required, nullable ``parentSubject$$``) and emits
    ``arvo.orc.<name>.done``.

    Raises:
        ArvoContractError: naming every invalid part.
    """
    errors: dict[str, str] = {}
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        errors["name"] = "must match ^[a-z0-9.]+$"
    init_type = f"arvo.orc.{name}"
    complete_type = f"{init_type}.done"
    specs: dict[str, Any] = {}
    for version, spec in (versions or {}).items():
        if not isinstance(spec, Mapping) or "init" not in spec or "complete" not in spec:
            errors[f"versions.{version}"] = "must be {'init': Model, 'complete': Model}"
            continue
        specs[version] = {
            "accepts": _with_parent_subject(spec["init"]),
            "emits": {complete_type: spec["complete"]},
        }
    if errors:
        raise ArvoContractError(f"invalid orchestrator contract {uri!r}", errors)
    checked = _check_contract(uri, init_type, specs, domain, allow_orchestrator_types=True)
    return ArvoContract(
        uri=uri,
        type=init_type,
        versions=checked,
        domain=domain,
        description=description,
        metadata={
            **(metadata or {}),
            "contractType": ORCHESTRATOR_CONTRACT_TYPE,
            "rootType": name,
            "completeEventType": complete_type,
            "initEventType": init_type,
        },
    )

"""ArvoOrchestrationSubject: an orchestration's process id, byte-compatible with arvo-core 3.0.x.

A subject is ``base64(zlib(compact JSON))`` of ``{orchestrator, execution, meta}``
(docs/arvo.md §3).
CPython's ``zlib.compress`` on stock zlib reproduces the TypeScript bytes, and the JSON text is
written in the caller's key order, so ``create(content)`` of a vector's content gives the vector's
subject byte for byte. Parsing accepts a zlib or gzip container, like Node's ``inflateSync``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arvo_temporal.errors import InvalidSubjectError
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource

__all__ = [
    "ArvoOrchestrationSubject",
    "SubjectContent",
    "SubjectExecution",
    "SubjectOrchestrator",
]

_TYPE_PATTERN = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+\.[a-z0-9]+$")
_SEMVER_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
_DOMAIN_PATTERN = re.compile(r"^[a-z0-9.]+$")
_WILDCARD_VERSION = "0.0.0"
# zlib header (RFC 1950) or gzip magic (RFC 1952): wbits=47 lets zlib detect either.
_ZLIB_OR_GZIP = 32 + 15


class _Strict(BaseModel):
    # Unknown keys survive parsing (``create`` keeps them in the bytes too).
    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class SubjectOrchestrator(_Strict):
    """Which orchestrator (``arvo.orc.<name>``) and which exact version runs the execution."""

    name: str
    version: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TYPE_PATTERN.match(value) or ";" in value:
            raise ValueError("must be at least three dot-separated lowercase alphanumeric segments")
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _SEMVER_PATTERN.match(value):
            raise ValueError("must be a semantic version X.Y.Z")
        return value


class SubjectExecution(_Strict):
    """The execution: its unique id, who started it and its domain (``domain`` key required)."""

    id: str = Field(min_length=1)
    initiator: str
    domain: str | None = Field(...)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if ";" in value:
            raise ValueError("must not contain ';'")
        return value

    @field_validator("initiator")
    @classmethod
    def _initiator(cls, value: str) -> str:
        if not _TYPE_PATTERN.match(value) or ";" in value:
            raise ValueError("must be at least three dot-separated lowercase alphanumeric segments")
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN_PATTERN.match(value):
            raise ValueError("must be null or match ^[a-z0-9.]+$")
        return value


class SubjectContent(_Strict):
    """The decoded subject. ``model_dump(mode="json")`` is exactly the decoded JSON."""

    orchestrator: SubjectOrchestrator
    execution: SubjectExecution
    meta: dict[str, str]


def _describe(error: ValidationError) -> str:
    parts = []
    for issue in error.errors():
        location = ".".join(str(part) for part in issue["loc"]) or "(root)"
        parts.append(f"{location}: {issue['msg']}")
    return "; ".join(parts)


def _validate(content: Any) -> SubjectContent:
    try:
        return SubjectContent.model_validate(content)
    except ValidationError as error:
        raise InvalidSubjectError(_describe(error)) from None


def _encode(content: Mapping[str, Any]) -> str:
    text = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")


class ArvoOrchestrationSubject:
    """Create, derive and parse orchestration subjects (static methods, as in arvo-core)."""

    WILDCARD_VERSION = _WILDCARD_VERSION

    @staticmethod
    def create(content: Mapping[str, Any] | SubjectContent) -> str:
        """Validate ``content`` and encode it, keeping its key order (and any extra keys).

        Raises:
            InvalidSubjectError: naming each invalid field.
        """
        raw: Mapping[str, Any] = (
            content.model_dump(mode="json") if isinstance(content, SubjectContent) else content
        )
        try:
            _validate(raw)
        except InvalidSubjectError as error:
            raise InvalidSubjectError(
                f"Error creating orchestration subject string: {error}"
            ) from None
        return _encode(raw)

    @staticmethod
    def new(
        *,
        orchestrator: str,
        version: str | None,
        initiator: str,
        domain: str | None = None,
        meta: Mapping[str, str] | None = None,
        source: IdClockSource = SYSTEM_SOURCE,
    ) -> str:
        """A subject for a new root execution, with a fresh ``execution.id`` from ``source``.

        ``version=None`` writes the wildcard ``0.0.0``, as arvo-core does.
        """
        return ArvoOrchestrationSubject.create(
            {
                "orchestrator": {"name": orchestrator, "version": version or _WILDCARD_VERSION},
                "execution": {"id": source.new_id(), "initiator": initiator, "domain": domain},
                "meta": dict(meta or {}),
            }
        )

    @staticmethod
    def from_parent(
        *,
        orchestrator: str,
        version: str | None,
        subject: str,
        domain: str | None = None,
        meta: Mapping[str, str] | None = None,
        source: IdClockSource = SYSTEM_SOURCE,
    ) -> str:
        """A child execution's subject (Arvo's ``from``).

        The child's initiator is the parent orchestrator's name, the parent's meta is inherited
        and merged with ``meta``, and the parent's domain is inherited unless ``domain`` is given.
        """
        parent = ArvoOrchestrationSubject.parse(subject)
        return ArvoOrchestrationSubject.new(
            orchestrator=orchestrator,
            version=version,
            initiator=parent.orchestrator.name,
            domain=domain if domain is not None else parent.execution.domain,
            meta={**parent.meta, **(meta or {})},
            source=source,
        )

    @staticmethod
    def parse(subject: str) -> SubjectContent:
        """Decode and validate a subject.

        Raises:
            InvalidSubjectError: saying which step failed (base64, inflate, JSON or schema).
        """
        prefix = "Error parsing orchestration subject string"
        if not isinstance(subject, str) or not subject:
            raise InvalidSubjectError(f"{prefix}: the subject is empty")
        try:
            compressed = base64.b64decode(subject, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSubjectError(f"{prefix}: not standard base64") from None
        try:
            text = zlib.decompress(compressed, _ZLIB_OR_GZIP)
        except zlib.error:
            raise InvalidSubjectError(f"{prefix}: not a zlib or gzip compressed payload") from None
        try:
            content = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidSubjectError(f"{prefix}: the payload is not UTF-8 JSON") from None
        try:
            return _validate(content)
        except InvalidSubjectError as error:
            raise InvalidSubjectError(f"{prefix}: {error}") from None

    @staticmethod
    def is_valid(subject: str) -> bool:
        """True when ``parse`` succeeds."""
        try:
            ArvoOrchestrationSubject.parse(subject)
        except InvalidSubjectError:
            return False
        return True

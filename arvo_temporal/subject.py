"""ArvoOrchestrationSubject: an orchestration's process id, byte-compatible with arvo-core 3.0.x.

A subject is ``base64(zlib(compact JSON))`` of ``{orchestrator, execution, meta}``
(docs/arvo.md §3).
CPython's ``zlib.compress`` on stock zlib reproduces the TypeScript bytes, and the JSON text is
written in the caller's key order, so ``create(content)`` of a vector's content gives the vector's
subject byte for byte. Parsing accepts a zlib or gzip container, like Node's ``inflateSync``.

Parsing is bounded, because a subject arrives from outside inside every event: at most
:data:`MAX_SUBJECT_LENGTH` characters are decoded, they may inflate to at most
:data:`MAX_SUBJECT_JSON_BYTES` bytes of JSON (decompressed incrementally, so a zlib bomb costs no
more memory than that), and the JSON obeys the limits of ``arvo_temporal/_json_limits.py``.
A real subject is a few hundred bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arvo_temporal._inflate import InflateError, inflate
from arvo_temporal._json_limits import JsonLimitError, load_json, printable
from arvo_temporal.errors import InvalidSubjectError
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource

__all__ = [
    "MAX_SUBJECT_JSON_BYTES",
    "MAX_SUBJECT_LENGTH",
    "ArvoOrchestrationSubject",
    "SubjectContent",
    "SubjectExecution",
    "SubjectOrchestrator",
]

_TYPE_PATTERN = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+\.[a-z0-9]+$")
_SEMVER_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
_DOMAIN_PATTERN = re.compile(r"^[a-z0-9.]+$")
_WILDCARD_VERSION = "0.0.0"

MAX_SUBJECT_JSON_BYTES: Final = 64 * 1024
"""Most bytes a subject's JSON may inflate to when it is parsed (a real one is a few hundred)."""

MAX_SUBJECT_LENGTH: Final = 96 * 1024
"""Most characters of a subject that parsing decodes: the base64 of any compressed form of
:data:`MAX_SUBJECT_JSON_BYTES` of JSON (even incompressible JSON, which zlib stores) fits."""


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
        location = ".".join(printable(str(part)) for part in issue["loc"]) or "(root)"
        parts.append(f"{location}: {issue['msg']}")
    return "; ".join(parts)


def _validate(content: Any) -> SubjectContent:
    try:
        return SubjectContent.model_validate(content)
    except ValidationError as error:
        raise InvalidSubjectError(_describe(error)) from None


def _encode(content: Mapping[str, Any]) -> str:
    """The subject text; refused (rather than made) when ``parse`` would refuse it."""
    prefix = "Error creating orchestration subject string"
    try:
        raw = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidSubjectError(
            f"{prefix}: a text holds a lone surrogate, which has no UTF-8 form"
        ) from None
    if len(raw) > MAX_SUBJECT_JSON_BYTES:
        raise InvalidSubjectError(
            f"{prefix}: its JSON is {len(raw):,} bytes, over the {MAX_SUBJECT_JSON_BYTES:,}-byte "
            "limit that parsing enforces"
        )
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


class ArvoOrchestrationSubject:
    """Create, derive and parse orchestration subjects (static methods, as in arvo-core)."""

    WILDCARD_VERSION = _WILDCARD_VERSION

    @staticmethod
    def create(content: Mapping[str, Any] | SubjectContent) -> str:
        """Validate ``content`` and encode it, keeping its key order (and any extra keys).

        Raises:
            InvalidSubjectError: naming each invalid field; also for content that ``parse``
                would refuse (JSON over :data:`MAX_SUBJECT_JSON_BYTES`, a lone surrogate).
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

        The work is bounded whatever the input: a subject longer than
        :data:`MAX_SUBJECT_LENGTH` characters is refused before decoding, and one whose JSON
        would inflate beyond :data:`MAX_SUBJECT_JSON_BYTES` bytes is refused as soon as
        inflating passes that size.

        Raises:
            InvalidSubjectError: saying which step failed (length, base64, inflate, size, JSON
                or schema).
        """
        prefix = "Error parsing orchestration subject string"
        if not isinstance(subject, str) or not subject:
            raise InvalidSubjectError(f"{prefix}: the subject is empty")
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise InvalidSubjectError(
                f"{prefix}: the subject is longer than {MAX_SUBJECT_LENGTH:,} characters"
            )
        try:
            compressed = base64.b64decode(subject, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSubjectError(f"{prefix}: not standard base64") from None
        try:
            text = inflate(compressed, limit=MAX_SUBJECT_JSON_BYTES)
        except InflateError as error:
            raise InvalidSubjectError(f"{prefix}: {error}") from None
        try:
            content = load_json(text.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidSubjectError(f"{prefix}: the payload is not UTF-8 JSON") from None
        except JsonLimitError as error:
            raise InvalidSubjectError(
                f"{prefix}: the payload is not UTF-8 JSON ({error})"
            ) from None
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

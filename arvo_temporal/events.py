"""ArvoEvent: a CloudEvent with Arvo's extensions, wire-compatible with arvo-core 3.0.x.

The model is frozen and validated as Arvo's constructor validates (docs/arvo.md §1.1):
every bad field
is reported at once in one :class:`ArvoEventValidationError`. ``to_json()`` gives Arvo's 17 keys
(plus custom extensions) in Arvo's order with explicit nulls; ``from_json()`` inverts it. The same
flat JSON is the model's pydantic serialisation, so a Temporal payload shows the event exactly as
it travels on the wire.

``create_arvo_event`` applies Arvo's defaults (``to`` = ``type``, URI encoding, id and time) and
takes ids and time from an injectable :class:`IdClockSource`, so it is deterministic inside a
Temporal workflow.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    model_serializer,
    model_validator,
)

from arvo_temporal._inflate import inflate
from arvo_temporal._json_limits import (
    MAX_JSON_DEPTH,
    MAX_JSON_INTEGER_DIGITS,
    JsonLimitError,
    integer_fits,
    json_type_name,
    load_json,
    printable,
)
from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource, format_arvo_time
from arvo_temporal.uri import encode_uri, is_properly_encoded_uri

__all__ = [
    "ARVO_DATA_CONTENT_TYPE",
    "CLOUDEVENT_ATTRIBUTES",
    "ArvoEvent",
    "ArvoEventIdInput",
    "ExtensionValue",
    "create_arvo_event",
    "parse_arvo_event_id",
]

logger = logging.getLogger(__name__)

ARVO_DATA_CONTENT_TYPE = "application/cloudevents+json;charset=UTF-8;profile=arvo"

ExtensionValue: TypeAlias = str | bool | int | float | None
ArvoEventIdInput: TypeAlias = Mapping[str, str] | str | None

CLOUDEVENT_ATTRIBUTES = (
    "id",
    "source",
    "specversion",
    "type",
    "subject",
    "datacontenttype",
    "dataschema",
    "data",
    "time",
)
_ARVO_KEYS = (
    "to",
    "accesscontrol",
    "redirectto",
    "executionunits",
    "traceparent",
    "tracestate",
    "parentid",
    "domain",
)
_ALL_KEYS = frozenset(CLOUDEVENT_ATTRIBUTES + _ARVO_KEYS)
_TYPE_PATTERN = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+\.[a-z0-9]+$")
_DOMAIN_PATTERN = re.compile(r"^[a-z0-9.]+$")
_EXTENSION_KEY = re.compile(r"^[a-z0-9]+$")
# ISO-8601 date-time with a mandatory offset, as zod's ``datetime({offset: true})``.
_TIME_PATTERN = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"
)
# An Arvo-managed id holds a uuid and the caller's value; far more than that is an attack.
_MAX_ID_JSON_BYTES = 64 * 1024
_URI_FIELDS = ("source", "subject", "to", "redirectto", "dataschema")
_OPTIONAL_TEXT = ("accesscontrol", "traceparent", "tracestate", "parentid")
_REQUIRED_TEXT = ("id", "source", "type", "subject")
_NULLABLE_TEXT = ("dataschema", "to", "redirectto", *_OPTIONAL_TEXT)


class _NotJson(ValueError):
    """A value without a JSON form; ``steps`` collects the path to it as the error unwinds
    (a problem of the whole value, such as its depth, is reported at the root)."""

    def __init__(self, problem: str, *, at_root: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.at_root = at_root
        self.steps: list[str] = []

    def located(self, root: str) -> str:
        if self.at_root:
            return f"{root}: {self.problem}"
        return f"{root}{''.join(reversed(self.steps))}: {self.problem}"


# The event object is the first level of its JSON document, so data starts at the second.
_DATA_DEPTH = 2


def _clean_json(value: Any, depth: int = _DATA_DEPTH) -> Any:
    """A deep copy of ``value`` as JavaScript's JSON round trip would give it.

    NaN and infinities become null (``JSON.stringify`` prints them so); anything that has no
    JSON form is refused with the path to it, and so are the JSON limits (docs in
    ``arvo_temporal/_json_limits.py``): nesting deeper than ``MAX_JSON_DEPTH`` levels counting
    the event (which also stops a cyclic structure) and integers too long to print back. The
    path is put together only on failure: every event's data passes here, and naming each key
    on the way down cost more than the copy.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if not integer_fits(value):
            raise _NotJson(f"an integer has more than {MAX_JSON_INTEGER_DIGITS:,} digits")
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    mapping = type(value) is dict or isinstance(value, Mapping)
    if (mapping or isinstance(value, (list, tuple))) and depth > MAX_JSON_DEPTH:
        raise _NotJson(
            f"nested deeper than {MAX_JSON_DEPTH} levels (counting the event)", at_root=True
        )
    if mapping:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotJson(f"object keys must be strings, got {key!r:.80}")
            try:
                out[key] = item if type(item) is str else _clean_json(item, depth + 1)
            except _NotJson as problem:
                problem.steps.append(f".{printable(key)}")
                raise
        return out
    if isinstance(value, (list, tuple)):
        items: list[Any] = []
        for index, item in enumerate(value):
            try:
                items.append(_clean_json(item, depth + 1))
            except _NotJson as problem:
                problem.steps.append(f"[{index}]")
                raise
        return items
    raise _NotJson(f"{type(value).__name__} has no JSON representation")


def _copy_json(value: Any) -> Any:
    """A structural copy of data already cleaned by ``_clean_json`` (no checks: it is valid)."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _is_number_or_null(value: Any) -> bool:
    """Null, or a number JSON can carry: not a bool, finite, and an integer short enough to print
    (``to_json_string`` must never fail on an event that was accepted)."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return integer_fits(value) if isinstance(value, int) else math.isfinite(value)


def _check_time(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, datetime):
        return format_arvo_time(value), None
    if not isinstance(value, str) or not _TIME_PATTERN.match(value):
        return None, "must be an ISO-8601 date-time with an offset (Z or ±HH:MM)"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None, "is not a valid date-time"
    return value, None


def _validate_fields(
    raw: Mapping[str, Any],
    extensions: Mapping[str, Any] | None = None,
    *,
    uris_encoded: bool = False,
) -> dict[str, Any]:
    """Check every field as Arvo's constructor does; return clean values or raise, naming all.

    Keys outside Arvo's 17 are custom extensions, and so is the content of an ``extensions``
    mapping (in ``raw`` or given apart by ``create_arvo_event``). The result has exactly the
    model's fields, each of its declared type (what ``ArvoEvent._from_checked`` relies on).
    ``uris_encoded`` says the URI fields are ``encode_uri`` output, which is always properly
    encoded (tests/wire/test_properties.py), so their round-trip check is skipped.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any]
    collected: dict[str, Any] = {}
    if raw.keys() <= _ALL_KEYS:
        values = dict(raw)
    else:
        values = {}
        for key, value in raw.items():
            if key in _ALL_KEYS:
                values[key] = value
            elif key == "extensions" and isinstance(value, Mapping):
                collected.update(value)
            else:
                collected[key] = value
    if extensions:
        collected.update(extensions)

    for key in _REQUIRED_TEXT:
        value = values.get(key)
        if not isinstance(value, str) or not value:
            errors[key] = "is required and must be a non-empty string"
    specversion = values.setdefault("specversion", "1.0")
    if specversion != "1.0":
        errors["specversion"] = "must be '1.0'"
    if "type" not in errors and not _TYPE_PATTERN.match(values["type"]):
        errors["type"] = (
            "must be at least three dot-separated segments of lowercase letters and digits "
            "(no '-', '_' or uppercase)"
        )

    content_type = values.setdefault("datacontenttype", ARVO_DATA_CONTENT_TYPE)
    if content_type != ARVO_DATA_CONTENT_TYPE and (
        not isinstance(content_type, str)
        or (
            "application/cloudevents+json" not in content_type
            and "application/json" not in content_type
        )
    ):
        errors["datacontenttype"] = (
            "must contain 'application/cloudevents+json' or 'application/json'"
        )

    for key in _NULLABLE_TEXT:
        value = values.get(key)
        if value is None:
            values[key] = None
        elif not isinstance(value, str) or not value:
            errors[key] = "must be null or a non-empty string"
    for key in () if uris_encoded else _URI_FIELDS:
        value = values.get(key)
        if (
            value
            and isinstance(value, str)
            and key not in errors
            and not is_properly_encoded_uri(value)
        ):
            errors[key] = f"The {key} must be a properly encoded URI"
    if content_type == ARVO_DATA_CONTENT_TYPE and not values["to"] and "to" not in errors:
        errors["to"] = "The ArvoEvent must have a non-empty 'to' field"

    if not _is_number_or_null(values.setdefault("executionunits", None)):
        errors["executionunits"] = "must be null or a finite number"
    domain = values.setdefault("domain", None)
    if domain is not None and (not isinstance(domain, str) or not _DOMAIN_PATTERN.match(domain)):
        errors["domain"] = "must be null or match ^[a-z0-9.]+$"

    if "time" not in values:
        errors["time"] = "is required"
    else:
        values["time"], problem = _check_time(values["time"])
        if problem:
            errors["time"] = problem

    data = values.get("data")
    if type(data) is not dict and not isinstance(data, Mapping):
        errors["data"] = "must be a JSON object"
    else:
        try:
            values["data"] = _clean_json(data)
        except _NotJson as problem:
            errors["data"] = problem.located("data")

    clean_extensions: dict[str, ExtensionValue] = {}
    for key, value in collected.items():
        field = f"extensions.{printable(key) if isinstance(key, str) else repr(key)[:80]}"
        if not isinstance(key, str) or not _EXTENSION_KEY.match(key):
            errors[field] = "extension keys must match ^[a-z0-9]+$"
        elif key in _ALL_KEYS:
            errors[field] = "must not reuse the name of a CloudEvents or Arvo attribute"
        elif not isinstance(value, (str, bool)) and not _is_number_or_null(value):
            errors[field] = "extension values must be a string, boolean, finite number or null"
        else:
            clean_extensions[key] = value
    values["extensions"] = clean_extensions

    if errors:
        raise ArvoEventValidationError(errors)
    return values


def _as_arvo_error(error: ValidationError) -> ArvoEventValidationError:
    """Unwrap the error our validator raised inside pydantic, or translate pydantic's own."""
    merged: dict[str, str] = {}
    for issue in error.errors():
        original = (issue.get("ctx") or {}).get("error")
        if isinstance(original, ArvoEventValidationError):
            merged.update(original.errors)
        else:
            location = ".".join(str(part) for part in issue["loc"]) or "event"
            merged[location] = issue["msg"]
    return ArvoEventValidationError(merged)


def _js_numbers(value: Any) -> Any:
    """Print integral floats without ``.0``, as JavaScript does, for byte-identical JSON text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _js_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_js_numbers(item) for item in value]
    return value


class ArvoEvent(BaseModel):
    """An immutable Arvo event. Construct it with :func:`create_arvo_event` (which applies Arvo's
    defaults) or directly with every field (which only validates, like Arvo's constructor).

    Raises:
        ArvoEventValidationError: on construction, naming every invalid field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    source: str
    specversion: Literal["1.0"] = "1.0"
    type: str
    subject: str
    datacontenttype: str = ARVO_DATA_CONTENT_TYPE
    dataschema: str | None = None
    data: dict[str, Any]
    time: str
    to: str | None = None
    accesscontrol: str | None = None
    redirectto: str | None = None
    executionunits: int | float | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    parentid: str | None = None
    domain: str | None = None
    extensions: dict[str, ExtensionValue] = {}

    def __init__(self, /, **fields: Any) -> None:
        try:
            super().__init__(**fields)
        except ValidationError as error:
            raise _as_arvo_error(error) from None

    @model_validator(mode="before")
    @classmethod
    def _validate(cls, raw: Any) -> Any:
        if isinstance(raw, ArvoEvent):
            return raw
        if not isinstance(raw, Mapping):
            raise ArvoEventValidationError(
                {"event": f"must be a JSON object, got {json_type_name(raw)}"}
            )
        return _validate_fields(raw)

    @classmethod
    def _from_checked(cls, values: dict[str, Any]) -> ArvoEvent:
        """The event for values ``_validate_fields`` returned, without pydantic's second pass.

        Those values are already every field with its declared type, so validating them again
        would only copy them; this builds the instance as pydantic's ``model_construct`` does
        (field dict in declaration order, every field set, no extras or private attributes),
        at a sixth of its cost. tests/wire/test_event_construction.py checks that the result
        equals the validated model in every respect.
        """
        event = cls.__new__(cls)
        _set = object.__setattr__
        if tuple(values) != _FIELD_NAMES:  # create_arvo_event's values are in order already
            values = {name: values[name] for name in _FIELD_NAMES}
        _set(event, "__dict__", values)
        _set(event, "__pydantic_fields_set__", set(_FIELD_NAMES))
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event

    @model_serializer(mode="plain")
    def _serialise(self) -> dict[str, Any]:
        return self.to_json()

    # ----------------------------------------------------------------------------- views

    def to_json(self) -> dict[str, Any]:
        """Arvo's ``toJSON()``: every key present, nulls explicit, custom extensions between
        ``time`` and ``to``. The returned dict is a fresh copy."""
        if not self.extensions:
            # The field dict is in Arvo's order (the model declares the fields so, and every
            # way of building one keeps it); without custom extensions it is the JSON but for
            # its ``extensions`` entry, and copying it is far cheaper than naming 17 keys.
            fields = dict(self.__dict__)
            del fields["extensions"]
            fields["data"] = _copy_json(fields["data"])
            return fields
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "specversion": self.specversion,
            "type": self.type,
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "dataschema": self.dataschema,
            "data": _copy_json(self.data),
            "time": self.time,
        }
        out.update(self.extensions)
        out["to"] = self.to
        out["accesscontrol"] = self.accesscontrol
        out["redirectto"] = self.redirectto
        out["executionunits"] = self.executionunits
        out["traceparent"] = self.traceparent
        out["tracestate"] = self.tracestate
        out["parentid"] = self.parentid
        out["domain"] = self.domain
        return out

    def to_json_string(self, indent: int | None = None) -> str:
        """Arvo's ``toString()``: the JSON text, compact by default, numbers printed as JavaScript
        prints them (``1`` rather than ``1.0``)."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(
            _js_numbers(self.to_json()),
            separators=separators,
            indent=indent,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | str | bytes) -> ArvoEvent:
        """Rebuild an event from its JSON (dict or text). Keys outside Arvo's 17 are kept as
        custom extensions.

        Any text, bytes or JSON value either gives an event or raises the error below: the JSON
        limits (``arvo_temporal/_json_limits.py``) bound nesting to ``MAX_JSON_DEPTH`` levels
        counting the event and integers to ``MAX_JSON_INTEGER_DIGITS`` digits; ``NaN`` and
        ``Infinity`` are not JSON text. A key that cannot be printed (a lone surrogate) is named
        with ``\\uXXXX`` escapes.

        Raises:
            ArvoEventValidationError: naming every invalid field; under ``event``, text that is
                not JSON (bytes that are not UTF-8/16/32 included), breaks a JSON limit or is
                not an object.
        """
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            try:
                value = load_json(value)
            except JsonLimitError as error:
                raise ArvoEventValidationError({"event": str(error)}) from None
        try:
            return cls.model_validate(value)
        except ValidationError as error:
            raise _as_arvo_error(error) from None

    @property
    def cloudevent_attributes(self) -> dict[str, Any]:
        """The CloudEvents core attributes (Arvo's ``cloudevent.default`` without ``data``)."""
        return {key: getattr(self, key) for key in CLOUDEVENT_ATTRIBUTES if key != "data"}

    @property
    def arvo_extensions(self) -> dict[str, Any]:
        """Every extension attribute: the custom ones, then Arvo's, as CloudEvents extensions."""
        out: dict[str, Any] = dict(self.extensions)
        for key in _ARVO_KEYS:
            out[key] = getattr(self, key)
        return out

    @property
    def otel_attributes(self) -> dict[str, str | int | float]:
        """Span attributes named as arvo-core names them; missing values are ``"N/A"``."""

        def text(value: Any) -> str | int | float:
            return "N/A" if value is None else value

        return {
            "cloudevents.event_id": self.id,
            "cloudevents.event_source": self.source,
            "cloudevents.event_spec_version": self.specversion,
            "cloudevents.event_subject": self.subject,
            "cloudevents.event_type": self.type,
            "cloudevents.event_time": self.time,
            "cloudevents.event_datacontenttype": self.datacontenttype,
            "cloudevents.event_dataschema": text(self.dataschema),
            "cloudevents.arvo.event_redirectto": text(self.redirectto),
            "cloudevents.arvo.event_to": text(self.to),
            "cloudevents.arvo.event_executionunits": text(self.executionunits),
            "cloudevents.arvo.event_parentid": text(self.parentid),
            "cloudevents.arvo.event_domain": text(self.domain),
        }


_FIELD_NAMES = tuple(ArvoEvent.model_fields)


def _encode_optional(value: str | None) -> str | None:
    return encode_uri(value) if value is not None else None


def _resolve_id(id_input: ArvoEventIdInput, id_clock: IdClockSource) -> str:
    """Arvo 3.x id rules (docs/arvo.md §1.3)."""
    if id_input is None:
        return id_clock.new_id()
    if isinstance(id_input, str):
        # Arvo 3.x ignores a plain string id; we match the wire behaviour but say so.
        logger.warning(
            "create_arvo_event: a plain string id (%r) is ignored as in Arvo 3.x; pass "
            "{'deduplication': 'DEVELOPER_MANAGED', 'value': ...} to keep your own id",
            id_input,
        )
        return id_clock.new_id()
    value = str(id_input.get("value") or "").strip()
    if not value:
        return id_clock.new_id()
    mode = id_input.get("deduplication")
    if mode == "DEVELOPER_MANAGED":
        return value
    if mode == "ARVO_MANAGED":
        text = json.dumps({"uuid": id_clock.new_id(), "value": value}, separators=(",", ":"))
        return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")
    raise ArvoEventValidationError(
        {"id.deduplication": "must be 'DEVELOPER_MANAGED' or 'ARVO_MANAGED'"}
    )


def parse_arvo_event_id(event_id: str) -> dict[str, str] | None:
    """Decode an ``ARVO_MANAGED`` id to ``{"uuid", "value"}``; ``None`` for any other id.

    Inflating stops at 64 KiB (``_MAX_ID_JSON_BYTES``), so a hostile id cannot claim memory.
    """
    try:
        compressed = base64.b64decode(event_id, validate=True)
        content = load_json(inflate(compressed, limit=_MAX_ID_JSON_BYTES))
    except ValueError:  # not base64, InflateError, JsonLimitError
        return None
    if isinstance(content, dict) and {"uuid", "value"} <= content.keys():
        return {"uuid": str(content["uuid"]), "value": str(content["value"])}
    return None


def create_arvo_event(
    *,
    source: str,
    type: str,
    subject: str,
    data: Mapping[str, Any],
    id: ArvoEventIdInput = None,
    time: str | datetime | None = None,
    specversion: str = "1.0",
    datacontenttype: str = ARVO_DATA_CONTENT_TYPE,
    dataschema: str | None = None,
    to: str | None = None,
    accesscontrol: str | None = None,
    redirectto: str | None = None,
    executionunits: float | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
    parentid: str | None = None,
    domain: str | None = None,
    extensions: Mapping[str, ExtensionValue] | None = None,
    id_clock: IdClockSource = SYSTEM_SOURCE,
) -> ArvoEvent:
    """Build an :class:`ArvoEvent` with Arvo's defaults (docs/arvo.md §1).

    ``source``, ``subject``, ``to`` (default: ``type``), ``redirectto``, ``dataschema`` and
    ``parentid`` pass through JavaScript's ``encodeURI``; ``id`` follows Arvo 3.x
    (``{"deduplication": "DEVELOPER_MANAGED" | "ARVO_MANAGED", "value": ...}``, else a fresh id);
    ``time`` defaults to ``id_clock.now()``. ``traceparent``/``tracestate`` are taken as given:
    the orchestrator and handlers pass the current span's headers explicitly, so this function
    never reads ambient state. The inputs are never mutated.

    Raises:
        ArvoEventValidationError: naming every invalid field.
    """
    if datacontenttype != ARVO_DATA_CONTENT_TYPE and logger.isEnabledFor(logging.DEBUG):
        logger.debug("create_arvo_event: datacontenttype %r is not Arvo's", datacontenttype)
    try:
        encoded_source = encode_uri(source)
        encoded_subject = encode_uri(subject)
        encoded_to = encode_uri(to if to is not None else type)
        encoded_redirectto = _encode_optional(redirectto)
        encoded_dataschema = _encode_optional(dataschema)
        encoded_parentid = _encode_optional(parentid)
    except (ValueError, TypeError) as error:
        raise ArvoEventValidationError({"uri": str(error)}) from None
    fields: dict[str, Any] = {
        "id": _resolve_id(id, id_clock),
        "source": encoded_source,
        "specversion": specversion,
        "type": type,
        "subject": encoded_subject,
        "datacontenttype": datacontenttype,
        "dataschema": encoded_dataschema,
        "data": data,
        # A datetime is formatted by the field check, which then has nothing to parse.
        "time": time if time is not None else id_clock.now(),
        "to": encoded_to,
        "accesscontrol": accesscontrol,
        "redirectto": encoded_redirectto,
        "executionunits": executionunits,
        "traceparent": traceparent,
        "tracestate": tracestate,
        "parentid": encoded_parentid,
        "domain": domain,
    }
    return ArvoEvent._from_checked(_validate_fields(fields, extensions, uris_encoded=True))

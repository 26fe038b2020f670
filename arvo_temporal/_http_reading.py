"""Reading events from HTTP requests (CloudEvents binary, structured and batch mode).

Why not the SDK's ``from_http``: a receiver gets whatever a client sends and must answer with an
error naming what is wrong. So headers are checked to be text, the mode is chosen as the SDK
chooses it (binary when any ``ce-*`` header is present) and otherwise by content type
(structured or batch), bodies are decoded within the JSON limits of
``arvo_temporal/_json_limits.py``, and every problem becomes an ``ArvoEventValidationError``
naming the attribute, ``data``, ``event``, ``events[i]``, ``content-type``, ``headers``,
``headers.<name>`` or ``body``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote

from arvo_temporal._json_limits import (
    MAX_JSON_DEPTH,
    JsonLimitError,
    json_type_name,
    load_json,
    printable,
)
from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.events import ARVO_DATA_CONTENT_TYPE, ArvoEvent
from arvo_temporal.sources import format_arvo_time

__all__ = [
    "ARVO_BINARY_CONTENT_TYPE",
    "arvo_time",
    "read_batch",
    "read_event",
    "restore_number",
]

ARVO_BINARY_CONTENT_TYPE: Final = "application/json;charset=UTF-8;profile=arvo"
_CE_PREFIX = "ce-"
_STRUCTURED_MEDIA_TYPE = "application/cloudevents+json"
_BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"
_JSON_BODY = re.compile(r"^(application|text)/([a-z0-9.+-]+\+)?json$")


def read_event(headers: Any, body: Any) -> ArvoEvent:
    """One event from a binary-mode or structured-mode request (``transport.from_http``)."""
    lowered, payload = _read_request(headers, body)
    if any(name.startswith(_CE_PREFIX) for name in lowered):
        return _from_binary(lowered, payload)
    media_type = _media_type(lowered)
    if media_type == _STRUCTURED_MEDIA_TYPE:
        return _from_document(_load(payload, "event", MAX_JSON_DEPTH))
    if media_type == _BATCH_MEDIA_TYPE:
        raise ArvoEventValidationError(
            {"content-type": "a batch of events: parse it with from_http_batch"}
        )
    raise ArvoEventValidationError(
        {
            "content-type": f"must be {_STRUCTURED_MEDIA_TYPE} (structured mode), or the request "
            f"must carry ce-* headers (binary mode); got {_shown(media_type)}"
        }
    )


def read_batch(headers: Any, body: Any) -> list[ArvoEvent]:
    """The events of a batch-mode request (``transport.from_http_batch``)."""
    lowered, payload = _read_request(headers, body)
    media_type = _media_type(lowered)
    if media_type != _BATCH_MEDIA_TYPE:
        raise ArvoEventValidationError(
            {"content-type": f"must be {_BATCH_MEDIA_TYPE}, got {_shown(media_type)}"}
        )
    # The array is one level more than each event, which keeps the limits of a single event.
    documents = _load(payload, "events", MAX_JSON_DEPTH + 1)
    if not isinstance(documents, list):
        raise ArvoEventValidationError({"events": "must be a JSON array of events"})
    events: list[ArvoEvent] = []
    errors: dict[str, str] = {}
    for index, document in enumerate(documents):
        try:
            events.append(_from_document(document))
        except ArvoEventValidationError as error:
            for field, reason in error.errors.items():
                errors[f"events[{index}]" + ("" if field == "event" else f".{field}")] = reason
    if errors:
        raise ArvoEventValidationError(errors)
    return events


def arvo_time(value: Any) -> Any:
    """A timezone-aware time (a ``datetime`` or RFC 3339 text) in Arvo's canonical UTC form;
    anything else as it is, for the event's own validation to name ``time``."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            return value
        return format_arvo_time(moment)
    except (ValueError, OverflowError):  # not a date-time, or outside the years UTC can hold
        return value.isoformat() if isinstance(value, datetime) else value


def restore_number(value: Any) -> Any:
    """A number carried as header text back to a number; text that is no finite number stays
    text, for the event's validation to name the field."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _shown(value: str | None) -> str:
    return "none" if value is None else f"'{printable(value)}'"


def _read_request(headers: Any, body: Any) -> tuple[dict[str, str], bytes]:
    """Headers with lower-case names, all text, and the body as bytes; or the error naming
    what is not (frameworks differ in what they hand over, and callers pass anything)."""
    if not isinstance(headers, Mapping):
        raise ArvoEventValidationError({"headers": "must be a mapping of names to text values"})
    lowered: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            errors["headers"] = f"names must be text, got {type(name).__name__}"
        elif not isinstance(value, str):
            errors[f"headers.{printable(name)}"] = f"must be text, got {type(value).__name__}"
        else:
            lowered[name.lower()] = value
    if not isinstance(body, (bytes, bytearray, memoryview)):
        errors["body"] = f"must be bytes, got {type(body).__name__}"
    if errors:
        raise ArvoEventValidationError(errors)
    return lowered, bytes(body)


def _media_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    return None if value is None else value.partition(";")[0].strip().lower()


def _load(payload: bytes, field: str, max_depth: int) -> Any:
    try:
        return load_json(payload, max_depth=max_depth)
    except JsonLimitError as error:
        raise ArvoEventValidationError({field: str(error)}) from None


def _from_document(document: Any) -> ArvoEvent:
    """One event from its CloudEvents JSON form (structured mode, or one item of a batch)."""
    if not isinstance(document, dict):
        raise ArvoEventValidationError(
            {"event": f"must be a JSON object, got {json_type_name(document)}"}
        )
    attributes = dict(document)
    if "data_base64" in attributes:
        raise ArvoEventValidationError(
            {"data_base64": "binary data is not supported: Arvo data is a JSON object"}
        )
    if "time" in attributes:
        attributes["time"] = arvo_time(attributes["time"])
    if attributes.get("data") is None:
        attributes["data"] = {}
    return ArvoEvent.from_json(attributes)


def _from_binary(headers: Mapping[str, str], payload: bytes) -> ArvoEvent:
    attributes: dict[str, Any] = {
        name[len(_CE_PREFIX) :]: unquote(value)
        for name, value in headers.items()
        if name.startswith(_CE_PREFIX)
    }
    if "data" in attributes:
        raise ArvoEventValidationError({"data": "is the body in binary mode, not a ce-data header"})
    content_type = headers.get("content-type")
    if content_type is not None:
        attributes["datacontenttype"] = (
            ARVO_DATA_CONTENT_TYPE if content_type == ARVO_BINARY_CONTENT_TYPE else content_type
        )
    if "time" in attributes:
        attributes["time"] = arvo_time(attributes["time"])
    if "executionunits" in attributes:
        attributes["executionunits"] = restore_number(attributes["executionunits"])
    attributes["data"] = _binary_data(content_type, payload)
    return ArvoEvent.from_json(attributes)


def _binary_data(content_type: str | None, payload: bytes) -> Any:
    """The event's data from a binary-mode body: JSON for a JSON content type (or none)."""
    if not payload:
        return {}
    media_type = _media_type({"content-type": content_type}) if content_type else None
    if media_type is not None and not _JSON_BODY.match(media_type):
        raise ArvoEventValidationError(
            {"data": f"must be JSON (a JSON content type), got {_shown(media_type)}"}
        )
    data = _load(payload, "data", MAX_JSON_DEPTH - 1)
    if not isinstance(data, dict):
        raise ArvoEventValidationError({"data": "must be a JSON object"})
    return data

"""From an HTTP request to Arvo events: which CloudEvents mode it uses, and parsing it.

* **structured**: ``Content-Type: application/cloudevents+json``, the event is the body;
* **batch**: ``Content-Type: application/cloudevents-batch+json``, a JSON array of events;
* **binary**: ``ce-*`` headers carry the attributes, the body is the event's data (JSON).

Structured and binary go through ``arvo_temporal.transport.from_http``; batches through
``from_http_batch``. Before either, JSON bodies are checked for nesting depth: Arvo data is a few
levels deep, and a hostile ``[[[[…`` must get a 400, not a trip through the recursion limit of
every layer that would later walk it (validation, payload conversion, the workflow).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

from arvo_temporal._json_limits import nests_deeper_than
from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.ingress._batch import BATCH_CONTENT_TYPE
from arvo_temporal.ingress._problems import Problem, ProblemError
from arvo_temporal.transport import from_http, from_http_batch

__all__ = ["STRUCTURED_CONTENT_TYPE", "Mode", "decode_events", "mode_of"]

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
Mode = Literal["structured", "binary", "batch"]
# The attribute the body stands for in each mode, to name it in a problem.
_BODY_FIELD: dict[Mode, str] = {"structured": "event", "binary": "data", "batch": "events"}


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _unsupported(detail: str) -> ProblemError:
    return ProblemError(
        Problem(
            415,
            "unsupported-media-type",
            "The request is not a CloudEvent this ingress reads",
            detail,
            "content-type",
            headers={"Accept-Post": f"{STRUCTURED_CONTENT_TYPE}, {BATCH_CONTENT_TYPE}"},
        )
    )


def mode_of(headers: Mapping[str, str]) -> Mode:
    """The CloudEvents HTTP mode of a request, from its headers (lower-case names).

    Raises:
        ProblemError: 415 for a content type that is no CloudEvents JSON mode, 400 for binary
            mode without ``ce-specversion``.
    """
    media = _media_type(headers)
    if media == BATCH_CONTENT_TYPE:
        return "batch"
    if media == STRUCTURED_CONTENT_TYPE:
        return "structured"
    if media.startswith("application/cloudevents"):
        raise _unsupported(f"only the JSON event format is read, not {media!r}")
    if any(name.startswith("ce-") for name in headers):
        if "ce-specversion" not in headers:
            raise ProblemError(
                Problem(
                    400,
                    "invalid-event",
                    "The event is not a valid Arvo CloudEvent",
                    "binary mode needs the ce-specversion header (and ce-id, ce-source, ce-type)",
                    "ce-specversion",
                )
            )
        if not _is_json(media):
            raise _unsupported(
                f"an Arvo event's data is a JSON object; binary mode needs a JSON Content-Type, "
                f"not {media or 'none'!r}"
            )
        return "binary"
    raise _unsupported(
        f"Content-Type {media or 'none'!r} with no ce-* headers is no CloudEvent: send "
        f"{STRUCTURED_CONTENT_TYPE}, {BATCH_CONTENT_TYPE}, or binary mode (ce-* headers)"
    )


def _parsed_json(body: bytes, mode: Mode, max_depth: int) -> Any:
    field = _BODY_FIELD[mode]
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArvoEventValidationError({field: f"not valid JSON: {error}"}) from None
    except RecursionError:
        document = None
        too_deep = True
    else:
        too_deep = nests_deeper_than(document, max_depth)
    if too_deep:
        raise ArvoEventValidationError(
            {field: f"nests deeper than {max_depth} levels of JSON objects and arrays"}
        )
    return document


def decode_events(
    headers: Mapping[str, str], body: bytes, *, mode: Mode, max_depth: int
) -> list[ArvoEvent]:
    """The events a request carries (one, or a batch's in order).

    Raises:
        ArvoEventValidationError: the body or headers do not make valid Arvo events (named
            field; ``events[i].field`` in a batch).
    """
    document = _parsed_json(body, mode, max_depth) if body or mode != "binary" else None
    if mode == "batch":
        events = from_http_batch(headers, body)
        if not events:
            raise ArvoEventValidationError({"events": "a batch holds at least one event"})
        return events
    if mode == "structured" and not isinstance(document, dict):
        raise ArvoEventValidationError(
            {"event": f"a structured event is a JSON object, got {type(document).__name__}"}
        )
    try:
        return [from_http(headers, body)]
    except ArvoEventValidationError as failure:
        raise _named(failure, headers, document, mode) from None


def _named(
    failure: ArvoEventValidationError, headers: Mapping[str, str], document: Any, mode: Mode
) -> ArvoEventValidationError:
    """The CloudEvents SDK reports a bad attribute as one ``cloudevent`` message; Arvo's own
    validation of the same attributes names each field (``source``, or ``ce-source`` in binary
    mode, where the attribute is a header)."""
    if set(failure.errors) != {"cloudevent"}:
        return failure
    if mode == "structured":
        attributes: Any = document
    else:
        attributes = {
            name[3:]: unquote(value) for name, value in headers.items() if name.startswith("ce-")
        }
        attributes["data"] = document if isinstance(document, dict) else {}
    if not isinstance(attributes, dict):
        return failure
    try:
        ArvoEvent.from_json(attributes)
    except ArvoEventValidationError as named:
        if mode == "structured":
            return named
        return ArvoEventValidationError(
            {
                (f"ce-{field}" if field != "data" else field): why
                for field, why in named.errors.items()
            }
        )
    return failure

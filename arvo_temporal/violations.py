"""User-defined violations as data: a class path and fields, and back.

Arvo lets applications define their own violations (arvo-core's ``ViolationError`` subclasses):
raised by a handler, a machine action or a resumable, they reach whoever called ``execute`` as
errors instead of becoming ``sys.<source>.error`` events (docs/arvo.md §5.6). In process they are
simply re-raised. Across a process boundary (a Temporal update, an HTTP answer) only data
travels, so this module turns a violation into ``{"class", "args", "fields"}`` and rebuilds the
same class with the same attributes on the other side — from the data, never from message text.

Rebuilding does not call the class's ``__init__`` (a subclass may take any arguments); it
restores the exception's ``args`` and instance attributes as they were. A class that cannot be
imported where the payload is read, or that is not a ``ViolationError``, comes back as an
``ExecutionViolation`` with the same message and fields, so an older reader never breaks.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from arvo_temporal.errors import (
    DataValidationError,
    ExecutionViolation,
    TransactionCause,
    TransactionViolation,
    ViolationError,
)

__all__ = ["violation_from_payload", "violation_to_payload"]


def _jsonable(value: Any) -> Any:
    """``value`` when it survives JSON unchanged in kind, else its ``repr`` (never raises)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return repr(value)


def violation_to_payload(error: ViolationError) -> dict[str, Any]:
    """The violation as JSON data: its class path, its exception args and its attributes.

    Attribute values that are not JSON travel as their ``repr`` (so a payload can always be
    built); ``TransactionViolation.cause`` travels as the cause's name.
    """
    cls = type(error)
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "args": [_jsonable(arg) for arg in error.args],
        "fields": {key: _jsonable(value) for key, value in vars(error).items()},
    }


def _resolve(path: str) -> type[ViolationError] | None:
    module_name, _, qualname = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, ValueError):
        return None
    if isinstance(target, type) and issubclass(target, ViolationError):
        return target
    return None


def violation_from_payload(payload: Mapping[str, Any]) -> ViolationError:
    """Rebuild the violation :func:`violation_to_payload` described.

    Raises:
        DataValidationError: when ``payload`` is not a violation payload (naming the key).
    """
    if not isinstance(payload, Mapping):
        raise DataValidationError("not a violation payload", [("(root)", "not a mapping")])
    for key, kind in (("class", str), ("args", list), ("fields", Mapping)):
        if not isinstance(payload.get(key), kind):
            raise DataValidationError(
                "not a violation payload", [(key, f"missing or not a {kind.__name__}")]
            )
    fields = dict(payload["fields"])
    args = tuple(payload["args"])
    cls = _resolve(payload["class"])
    if cls is None:
        message = str(fields.get("raw_message") or (args[0] if args else payload["class"]))
        fallback = ExecutionViolation(message, metadata=fields.get("metadata"))
        fallback.original_class = payload["class"]  # type: ignore[attr-defined]
        return fallback
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    if isinstance(error, TransactionViolation) and isinstance(fields.get("cause"), str):
        error.cause = TransactionCause(fields["cause"])
    return error

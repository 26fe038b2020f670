"""The bounds every parser of untrusted JSON applies (events, HTTP bodies, subjects, CLI input).

Why one module: Python's ``json`` decoder recurses once per nesting level (a deep enough text
raises ``RecursionError``), refuses integers longer than ``sys.get_int_max_str_digits()`` with a
bare ``ValueError``, accepts ``NaN`` and ``Infinity`` (which are not JSON and which JavaScript's
``JSON.parse`` refuses), and reports undecodable bytes as ``UnicodeDecodeError``. Each public
parser turns :class:`JsonLimitError` into its own documented error, naming its field; the limits
are the same everywhere:

* :data:`MAX_JSON_DEPTH` nesting levels for a whole document (an event counts as one level, so
  its ``data`` may nest one level less);
* :data:`MAX_JSON_INTEGER_DIGITS` digits for an integer (Python's own default, so every integer
  that is accepted can also be printed back).

:func:`printable` makes keys taken from hostile input safe to put in an error message (a lone
surrogate cannot be printed or encoded as UTF-8).
"""

from __future__ import annotations

import json
from typing import Any, Final, NoReturn

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_JSON_INTEGER_DIGITS",
    "JsonLimitError",
    "integer_fits",
    "json_type_name",
    "load_json",
    "nests_deeper_than",
    "printable",
]

MAX_JSON_DEPTH: Final = 128
"""Most nesting levels (objects and arrays) in one JSON document, as serde_json's default."""

MAX_JSON_INTEGER_DIGITS: Final = 4300
"""Most decimal digits of one integer: Python's default ``sys.get_int_max_str_digits()``."""

_INTEGER_BOUND: Final = 10**MAX_JSON_INTEGER_DIGITS
_MAX_SHOWN = 80


class JsonLimitError(ValueError):
    """The text is not JSON, or it breaks a limit; ``str()`` is the reason, never the input."""


def _refuse_constant(name: str) -> NoReturn:
    raise JsonLimitError(f"not valid JSON: {name} is not a JSON number")


def _bounded_integer(digits: str) -> int:
    if len(digits) - digits.startswith("-") > MAX_JSON_INTEGER_DIGITS:
        raise JsonLimitError(f"an integer has more than {MAX_JSON_INTEGER_DIGITS:,} digits")
    try:
        return int(digits)
    except ValueError:  # the process lowered Python's own digit limit below ours
        raise JsonLimitError("an integer has more digits than this process allows") from None


def integer_fits(value: int) -> bool:
    """True when ``value`` has at most :data:`MAX_JSON_INTEGER_DIGITS` digits."""
    return -_INTEGER_BOUND < value < _INTEGER_BOUND


def json_type_name(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words, for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def nests_deeper_than(value: Any, limit: int) -> bool:
    """True when ``value`` (decoded JSON) has more than ``limit`` levels; iterative, so a deep
    value cannot exhaust the stack while it is measured."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def load_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode one JSON document (bytes in UTF-8, -16 or -32, as ``json.loads`` detects them).

    Raises:
        JsonLimitError: for bytes that are not text, text that is not JSON (``NaN`` and
            ``Infinity`` included), an integer over the digit limit, or more than ``max_depth``
            nesting levels.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        try:
            text = raw.decode(json.detect_encoding(raw))
        except UnicodeDecodeError as error:
            raise JsonLimitError(f"not valid JSON: {error}") from None
    try:
        value = json.loads(text, parse_int=_bounded_integer, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise JsonLimitError(f"not valid JSON: {error}") from None
    except RecursionError:
        # The C decoder recurses per level; only a text far deeper than max_depth gets here.
        raise _too_deep(max_depth) from None
    if text.count("[") + text.count("{") > max_depth and nests_deeper_than(value, max_depth):
        raise _too_deep(max_depth)
    return value


def _too_deep(limit: int) -> JsonLimitError:
    return JsonLimitError(f"nested deeper than {limit} levels")


def printable(key: str) -> str:
    """``key`` as it may appear in an error message: characters that cannot be printed (lone
    surrogates, controls) as ``\\uXXXX`` escapes, at most 80 characters, and the empty key as
    ``""`` so that it is still visible."""
    if not key:
        return '""'
    if not key.isprintable():
        key = "".join(
            char
            if char.isprintable()
            else f"\\u{ord(char):04x}"
            if ord(char) < 0x10000
            else f"\\U{ord(char):08x}"
            for char in key
        )
    return key if len(key) <= _MAX_SHOWN else key[: _MAX_SHOWN - 1] + "…"

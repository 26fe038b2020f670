"""The change between two JSON values as an RFC 6902 JSON Patch, for ``arvo-temporal inspect``.

A machine's context after an event is usually its context before with a few keys changed, so a
patch (``[{"op": "replace", "path": "/sum", "value": 5}]``) says what the event did where two
whole contexts would bury it. Only ``add``, ``remove`` and ``replace`` are produced: a reader (or
``jsonpatch.apply_patch``) needs nothing more, and no ``move`` guessing can surprise anyone.
Objects are compared key by key; arrays element by element over their common length, then the
tail is added or removed (from the end, so every path stays valid while the patch is applied).
"""

from __future__ import annotations

from typing import Any

__all__ = ["json_patch", "pointer"]


def pointer(parts: tuple[str | int, ...]) -> str:
    """The RFC 6901 JSON Pointer of a path (``~`` → ``~0``, ``/`` → ``~1``)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _same(before: Any, after: Any) -> bool:
    """Equal as JSON: ``True == 1`` in Python, but they are different JSON values, also deep
    inside lists and objects."""
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return len(before) == len(after) and all(map(_same, before, after))
    return bool(before == after)


def json_patch(before: Any, after: Any) -> list[dict[str, Any]]:
    """The operations that turn ``before`` into ``after`` (both plain JSON values).

    Returns:
        An empty list when they are equal; otherwise ``add`` / ``remove`` / ``replace`` ops in an
        order that applies cleanly from the first to the last.
    """
    ops: list[dict[str, Any]] = []
    _diff(before, after, (), ops)
    return ops


def _diff(before: Any, after: Any, path: tuple[str | int, ...], ops: list[dict[str, Any]]) -> None:
    if _same(before, after):
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in before:
            if key not in after:
                ops.append({"op": "remove", "path": pointer((*path, key))})
        for key, value in after.items():
            if key in before:
                _diff(before[key], value, (*path, key), ops)
            else:
                ops.append({"op": "add", "path": pointer((*path, key)), "value": value})
        return
    if isinstance(before, list) and isinstance(after, list):
        common = min(len(before), len(after))
        for index in range(common):
            _diff(before[index], after[index], (*path, index), ops)
        for index in range(len(before) - 1, common - 1, -1):
            ops.append({"op": "remove", "path": pointer((*path, index))})
        for index in range(common, len(after)):
            ops.append({"op": "add", "path": pointer((*path, index)), "value": after[index]})
        return
    ops.append({"op": "replace", "path": pointer(path), "value": after})

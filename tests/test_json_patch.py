"""The context patches of ``arvo-temporal inspect`` are RFC 6902 patches that really apply.

Applying is written here from the RFC (add / remove / replace, JSON Pointer unescaping), so the
differ is checked against an independent reading of the standard on thousands of generated
pairs of JSON values.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal.cli._json_patch import json_patch, pointer

_KEYS = st.text(alphabet="ab/~0 ", max_size=3)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _tokens(path: str) -> list[str]:
    assert path == "" or path.startswith("/")
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def apply(document: Any, patch: list[dict[str, Any]]) -> Any:
    document = copy.deepcopy(document)
    for op in patch:
        tokens = _tokens(op["path"])
        if not tokens:
            assert op["op"] == "replace"
            document = copy.deepcopy(op["value"])
            continue
        parent = document
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        last = tokens[-1]
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if op["op"] == "add":
                assert 0 <= index <= len(parent)
                parent.insert(index, copy.deepcopy(op["value"]))
            elif op["op"] == "remove":
                del parent[index]
            else:
                assert index < len(parent)
                parent[index] = copy.deepcopy(op["value"])
        else:
            if op["op"] == "add":
                parent[last] = copy.deepcopy(op["value"])
            elif op["op"] == "remove":
                del parent[last]
            else:
                assert last in parent
                parent[last] = copy.deepcopy(op["value"])
    return document


def _same_json(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=3000, deadline=None)
@given(JSON, JSON)
def test_the_patch_turns_before_into_after(before, after):
    patch = json_patch(before, after)
    assert _same_json(apply(before, patch), after)
    assert all(op["op"] in ("add", "remove", "replace") for op in patch)


@settings(max_examples=500, deadline=None)
@given(JSON)
def test_equal_values_need_no_patch(value):
    assert json_patch(value, copy.deepcopy(value)) == []


def test_small_changes_stay_small_and_bool_is_not_one():
    before = {"a": 1, "b": [1, 2, 3], "c": True, "d/e": {"~x": 1}}
    after = {"a": 1, "b": [1, 5], "c": 1, "d/e": {"~x": 2}, "new": None}
    assert json_patch(before, after) == [
        {"op": "replace", "path": "/b/1", "value": 5},
        {"op": "remove", "path": "/b/2"},
        {"op": "replace", "path": "/c", "value": 1},
        {"op": "replace", "path": "/d~1e/~0x", "value": 2},
        {"op": "add", "path": "/new", "value": None},
    ]
    assert pointer(("a/b", "c~d", 3)) == "/a~1b/c~0d/3"

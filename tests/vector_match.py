"""Compare our raw output with normalised vectors (tests/vectors/README.md §2).

The vectors replace run-dependent values with tokens: ``<ID:n>`` for uuids, ``<SUBJECT:n>`` for
generated subjects (their decoded content listed in a ``subjects`` table), ``<TIME>`` and
``<STACK>``. We compare modulo a consistent one-to-one renaming: the first time a token is met it
binds to our raw value, and every later occurrence must be the same raw value (and no other token
may bind to it). Subjects are also decoded and compared with the table entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from arvo_temporal.subject import ArvoOrchestrationSubject

TOKEN = re.compile(r"^<(ID|SUBJECT):(\d+)>$")
EMBEDDED_TOKEN = re.compile(r"<(?:ID|SUBJECT):\d+>|<TIME>|<STACK>")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


@dataclass
class Matcher:
    """Holds the token bindings for one normalisation scope (a transcript, a file section)."""

    subjects: dict[str, Any] = field(default_factory=dict)
    bindings: dict[str, Any] = field(default_factory=dict)
    bound_values: dict[Any, str] = field(default_factory=dict)

    def match(self, expected: Any, actual: Any, path: str = "$") -> None:
        """Assert ``actual`` matches ``expected``; raises AssertionError naming the path."""
        if isinstance(expected, dict):
            assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
            assert list(expected) == list(actual) or set(expected) == set(actual), (
                f"{path}: keys differ: expected {sorted(expected)}, got {sorted(actual)}"
            )
            for key, value in expected.items():
                self.match(value, actual[key], f"{path}.{key}")
            return
        if isinstance(expected, list):
            assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
            assert len(expected) == len(actual), (
                f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r}"
            )
            for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
                self.match(left, right, f"{path}[{index}]")
            return
        if isinstance(expected, str):
            self._match_text(expected, actual, path)
            return
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            assert isinstance(actual, (int, float)) and not isinstance(actual, bool), (
                f"{path}: expected number {expected!r}, got {actual!r}"
            )
            assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"
            return
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"

    def _bind(self, token: str, value: Any, path: str) -> None:
        if token in self.bindings:
            assert self.bindings[token] == value, (
                f"{path}: {token} was {self.bindings[token]!r} earlier, now {value!r}"
            )
            return
        other = self.bound_values.get(value)
        assert other is None, f"{path}: {value!r} is already bound to {other}, not {token}"
        self.bindings[token] = value
        self.bound_values[value] = token

    def _match_text(self, expected: str, actual: Any, path: str) -> None:
        if expected == "<TIME>":
            assert isinstance(actual, str) and TIME.match(actual), f"{path}: bad time {actual!r}"
            return
        if expected == "<STACK>":
            assert actual is None or isinstance(actual, str), f"{path}: bad stack {actual!r}"
            return
        token = TOKEN.match(expected)
        if token:
            kind = token.group(1)
            assert isinstance(actual, str), f"{path}: expected a string for {expected}"
            if kind == "ID":
                assert UUID.match(actual), f"{path}: expected a uuid for {expected}, got {actual!r}"
                self._bind(expected, actual, path)
            else:
                content = ArvoOrchestrationSubject.parse(actual).model_dump(mode="json")
                self._bind(expected, actual, path)
                if expected in self.subjects:
                    self.match(self.subjects[expected], content, f"{path}<decoded>")
            return
        if EMBEDDED_TOKEN.search(expected):
            pattern = "^" + EMBEDDED_TOKEN.sub("__TOKEN__", expected) + "$"
            pattern = re.escape(pattern).replace("__TOKEN__", ".+?")
            pattern = pattern.replace(r"\^", "^").replace(r"\$", "$")
            assert isinstance(actual, str) and re.match(pattern, actual, re.DOTALL), (
                f"{path}: {actual!r} does not match {expected!r}"
            )
            return
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"

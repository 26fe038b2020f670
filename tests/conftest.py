"""Shared test helpers: where the conformance vectors live and how a missing tool fails."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI replays the same generated inputs on every run (a red run must be reproducible, and a new
# finding belongs to a developer's run, which explores freshly each time).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
# The repository carries its own copy (tests/vectors/PROVENANCE.md); ARVO_VECTORS points the
# tests at another copy, e.g. a fresh recording being checked before it is vendored.
VECTORS = Path(os.environ.get("ARVO_VECTORS", ROOT / "tests" / "vectors"))


def load_vector(relative: str) -> Any:
    """Load one JSON vector file from tests/vectors; a missing file fails the test loudly."""
    path = VECTORS / relative
    if not path.is_file():
        pytest.fail(
            f"conformance vector {path} is missing (set ARVO_VECTORS to the vectors folder)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def require_tool(name: str, found: bool, hint: str) -> None:
    """A test that needs an external tool fails when it is missing (never skips)."""
    if not found:
        pytest.fail(f"{name} is required for this test but was not found: {hint}")

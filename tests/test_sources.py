"""Id and clock sources: the system source's ids are canonical random (version 4) uuids."""

from __future__ import annotations

import uuid
from collections import Counter

from arvo_temporal.sources import SYSTEM_SOURCE, DeterministicSource


def test_system_ids_are_canonical_version_4_uuids() -> None:
    ids = [SYSTEM_SOURCE.new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    # The two random bits of the variant digit are used: all four digits turn up.
    assert set(Counter(text[19] for text in ids)) == set("89ab")


def test_deterministic_ids_repeat() -> None:
    assert DeterministicSource().new_id() == DeterministicSource().new_id()
    assert uuid.UUID(DeterministicSource().new_id()).version == 4

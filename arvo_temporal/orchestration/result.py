"""The structured result of ``execute`` (docs/arvo.md §8), shared by orchestrators and handlers.

Arvo 3.0.x returns ``{events}`` and puts a ``domain`` on each event; the seed documents specify
the 2.3.x bucket view. We return both: every event keeps its ``domain``, and the result groups
them: ``events`` is the default bucket (domain null), ``domained_events["all"]`` lists every event
in emission order, and ``all_event_domains`` lists bucket names in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from arvo_temporal.events import ArvoEvent

__all__ = ["ALL_BUCKET", "DEFAULT_BUCKET", "OrchestratorResult"]

DEFAULT_BUCKET = "default"
ALL_BUCKET = "all"


class OrchestratorResult(BaseModel):
    """What one ``execute`` produced, grouped by domain."""

    model_config = ConfigDict(frozen=True)

    events: list[ArvoEvent]
    all_event_domains: list[str]
    domained_events: dict[str, list[ArvoEvent]]

    @classmethod
    def from_events(cls, events: Iterable[ArvoEvent]) -> OrchestratorResult:
        """Group events by their ``domain`` (null → ``"default"``)."""
        ordered = list(events)
        buckets: dict[str, list[ArvoEvent]] = {ALL_BUCKET: ordered}
        domains: list[str] = []
        for event in ordered:
            name = event.domain if event.domain is not None else DEFAULT_BUCKET
            if name not in domains:
                domains.append(name)
            # A literal domain "all" is already in the all bucket; "default" shares the
            # default bucket (both names are legal domains, docs/arvo.md §8 edge cases).
            if name != ALL_BUCKET:
                buckets.setdefault(name, []).append(event)
        return cls(
            events=list(buckets.get(DEFAULT_BUCKET, [])),
            all_event_domains=domains,
            domained_events=buckets,
        )

    @classmethod
    def empty(cls) -> OrchestratorResult:
        """No events."""
        return cls.from_events(())

    @property
    def all_events(self) -> list[ArvoEvent]:
        """Every event, in emission order."""
        return self.domained_events[ALL_BUCKET]

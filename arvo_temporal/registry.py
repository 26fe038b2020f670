"""MachineRegistry: the versions of one orchestrator's machine, resolved by exact version.

Arvo resolves by the subject's ``orchestrator.name`` and ``orchestrator.version``
(docs/arvo.md §5.8):
no semver ranges and no wildcard, because an execution must keep running the machine it started
with while a newer version serves new executions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent

if TYPE_CHECKING:
    from arvo_temporal.machine import ArvoMachine

__all__ = ["MachineRegistry"]


class MachineRegistry:
    """Holds the machine versions one orchestrator serves.

    Raises:
        ConfigViolation: with no machines, with machines of different sources, or duplicate
            versions (the orchestrator could not tell them apart).
    """

    def __init__(self, *machines: ArvoMachine) -> None:
        if not machines:
            raise ConfigViolation("A MachineRegistry needs at least one machine")
        sources = {machine.source for machine in machines}
        if len(sources) != 1:
            raise ConfigViolation(
                f"All machines of one orchestrator must share a source, got {sorted(sources)}"
            )
        versions = [machine.version for machine in machines]
        duplicates = sorted({v for v in versions if versions.count(v) > 1})
        if duplicates:
            raise ConfigViolation(
                f"Duplicate machine versions {duplicates} for {machines[0].source}"
            )
        self.machines: tuple[ArvoMachine, ...] = tuple(machines)
        self._by_version = {machine.version: machine for machine in machines}

    @property
    def source(self) -> str:
        """The orchestrator's source, ``arvo.orc.<name>``."""
        return self.machines[0].source

    @property
    def versions(self) -> Sequence[str]:
        """The versions served, in registration order."""
        return tuple(self._by_version)

    def resolve_subject(self, subject: SubjectContent) -> ArvoMachine | None:
        """The machine for a parsed subject, or None."""
        machine = self._by_version.get(subject.orchestrator.version)
        if machine is None or machine.source != subject.orchestrator.name:
            return None
        return machine

    def resolve(self, event: ArvoEvent) -> ArvoMachine | None:
        """The machine for an event's subject, or None (Arvo's ``resolve``)."""
        return self.resolve_subject(ArvoOrchestrationSubject.parse(event.subject))

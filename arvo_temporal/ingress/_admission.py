"""What the ingress checks before it hands an event to Temporal.

A signalled event (``202``) that breaks its contract would be accepted and then rejected inside
the workflow, where the sender never hears of it. The ingress has the app, so it runs the same
pure checks the workflow will run (the subject, the machine version, ``validate_input``,
arvo_temporal/validation.py) and answers 400/404 with the field at once. Whatever depends on
the execution's state (finished, never started) is still Temporal's to say.
"""

from __future__ import annotations

from collections.abc import Mapping

from arvo_temporal.contracts import validate_data
from arvo_temporal.errors import DataValidationError, InvalidSubjectError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.ingress._problems import Problem, ProblemError
from arvo_temporal.registry import MachineRegistry
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.validation import ValidationKind

__all__ = ["Admission"]


def _not_served(detail: str) -> ProblemError:
    return ProblemError(
        Problem(
            404,
            "orchestrator-not-served",
            "This ingress serves no such orchestrator",
            detail,
            "subject",
        )
    )


class Admission:
    """The checks for one app: ``orchestrators`` maps each source it serves to its versions."""

    def __init__(self, orchestrators: Mapping[str, MachineRegistry | None]) -> None:
        """``orchestrators``: by source, the machines to check events against; None for a
        resumable, whose handler code is its only check (the workflow applies it)."""
        self._orchestrators = dict(orchestrators)

    @property
    def served(self) -> list[str]:
        return sorted(self._orchestrators)

    def check(self, event: ArvoEvent) -> None:
        """Pass an event one of the app's machines would take, as far as can be known here.

        Raises:
            ProblemError: 400 naming the field (subject, type, dataschema, data.<path>), 404 for
                an orchestrator or version the app does not serve.
        """
        try:
            content = ArvoOrchestrationSubject.parse(event.subject)
        except InvalidSubjectError as error:
            raise ProblemError(
                Problem(
                    400,
                    "invalid-subject",
                    "The event's subject is not an Arvo orchestration subject",
                    f"only events for an orchestration can be received: {error}",
                    "subject",
                )
            ) from None
        name, version = content.orchestrator.name, content.orchestrator.version
        if name not in self._orchestrators:
            raise _not_served(
                f"the subject names orchestrator {name!r}; this ingress serves {self.served}"
            )
        registry = self._orchestrators[name]
        if registry is None:
            return
        machine = registry.resolve_subject(content)
        if machine is None:
            raise _not_served(
                f"the subject names {name} version {version}; served versions: "
                f"{list(registry.versions)}"
            )
        verdict = machine.validate_input(event)
        if verdict.kind is ValidationKind.CONTRACT_UNRESOLVED:
            raise ProblemError(
                Problem(
                    400,
                    "config-violation",
                    "The orchestrator takes no event of this type",
                    f"{name} {version} accepts {machine.self_contract.accepts_type} and its "
                    f"services' events, not {event.type!r}",
                    "type",
                )
            )
        if verdict.kind is ValidationKind.INVALID:
            raise ProblemError(
                Problem(
                    400,
                    "contract-violation",
                    "The event's dataschema does not match its contract",
                    verdict.reason,
                    "dataschema",
                )
            )
        if verdict.kind is ValidationKind.INVALID_DATA:
            assert verdict.contract is not None  # INVALID_DATA names the contract it broke
            schema = verdict.contract.schema_for(event.type)
            assert schema is not None  # the contract was chosen because it knows this type
            try:
                validate_data(schema, event.data, what=f"{event.type} data")
            except DataValidationError as error:
                where = error.issues[0][0] if error.issues else "(root)"
                raise ProblemError(
                    Problem(
                        400,
                        "contract-violation",
                        "The event's data breaks its contract",
                        str(error),
                        "data" if where == "(root)" else f"data.{where}",
                        extra={
                            "issues": [
                                {"path": path, "message": message} for path, message in error.issues
                            ]
                        },
                    )
                ) from None

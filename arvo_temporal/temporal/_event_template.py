"""Event templates: the init event a schedule starts a fresh execution from at every fire.

A template is an Arvo init event as JSON (``arvo-temporal event --type arvo.orc.adder ...``
prints one). What makes each execution *new* is minted per fire and never taken from the
template: the subject (a root subject with a fresh ``execution.id``), the event ``id`` and the
``time``; ``traceparent``/``tracestate`` are dropped, so fires do not join one stale trace. Any of
these may be left out of the file. Everything else is kept as written: ``source`` (the
initiator), ``data``, ``dataschema`` (whose version picks the machine version), ``domain`` and
``redirectto`` (which go into the new subject, as Arvo's factory puts them), ``to`` (default: the
type) and extensions.

This module is pure (no temporalio, no clock, no randomness): the caller hands in the ids and the
time, so the scheduled-start workflow mints them from ``workflow.uuid4()``/``workflow.now()``
and a replay mints the same event (docs/temporal.md §5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cmp_to_key
from typing import Any

from arvo_temporal.contracts import (
    PARENT_SUBJECT_KEY,
    VersionedArvoContract,
    compare_semantic_versions,
    parse_dataschema,
)
from arvo_temporal.errors import ArvoEventValidationError, InvalidEventTemplate, InvalidSubjectError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.sources import format_arvo_time
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._app import AnySpec, ArvoApp, ResumableSpec
from arvo_temporal.validation import validate_machine_input

__all__ = ["PER_FIRE_FIELDS", "EventTemplate"]

PER_FIRE_FIELDS = ("id", "subject", "time", "traceparent", "tracestate")
"""Fields each fire mints (or drops) rather than copying from the template."""

_ORCHESTRATOR_PREFIX = "arvo.orc."
_TRIAL_ID = "00000000-0000-4000-8000-000000000000"
_TRIAL_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_ANY_VERSION = "0.0.0"


@dataclass(frozen=True)
class EventTemplate:
    """A checked init-event template (build it with :meth:`parse`).

    Attributes:
        fields: the template's JSON without the per-fire fields.
    """

    fields: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> EventTemplate:
        """Check ``value`` (decoded JSON) and keep what every fire copies.

        Raises:
            InvalidEventTemplate: not an object, not an orchestrator's init event (its ``type``
                must be ``arvo.orc.<name>``), a ``parentSubject$$`` (a schedule starts root
                executions), no version in ``dataschema``, or a field an event cannot have.
        """
        if not isinstance(value, Mapping):
            raise InvalidEventTemplate(
                f"the event template must be a JSON object (an init event), not "
                f"{type(value).__name__}"
            )
        fields = {key: item for key, item in value.items() if key not in PER_FIRE_FIELDS}
        event_type = fields.get("type")
        if not isinstance(event_type, str) or not _is_init_type(event_type):
            raise InvalidEventTemplate(
                f"the event template is not an init event: its type {event_type!r} must be an "
                f"orchestrator's, {_ORCHESTRATOR_PREFIX}<name> (not a .done completion or a "
                "service event)"
            )
        data = fields.get("data")
        if isinstance(data, Mapping) and data.get(PARENT_SUBJECT_KEY) is not None:
            raise InvalidEventTemplate(
                f"the event template sets data.{PARENT_SUBJECT_KEY}: a schedule starts root "
                "executions, so it must be null or absent"
            )
        template = cls(fields)
        # Every other field is checked now; the version may still come from an app (for_app).
        template._build(template.version or _ANY_VERSION, _TRIAL_ID, _TRIAL_ID, _TRIAL_TIME)
        return template

    @property
    def orchestrator(self) -> str:
        """The orchestrator the fires start (``arvo.orc.<name>``)."""
        return str(self.fields["type"])

    @property
    def version(self) -> str | None:
        """The machine version, from ``dataschema`` (``<uri>/<X.Y.Z>``); None without one."""
        dataschema = self.fields.get("dataschema")
        parsed = parse_dataschema(dataschema) if isinstance(dataschema, str) else None
        return parsed[1] if parsed else None

    def for_app(self, app: ArvoApp) -> EventTemplate:
        """This template checked against ``app``'s contract, its ``dataschema`` filled with the
        newest served version when it had none.

        Raises:
            InvalidEventTemplate: ``app`` has no such orchestrator or version, or the template
                breaks the contract (the message is the contract's reason).
        """
        spec = app.orchestrators.get(self.orchestrator)
        if spec is None:
            raise InvalidEventTemplate(
                f"the app has no orchestrator {self.orchestrator} "
                f"(it has: {', '.join(sorted(app.orchestrators)) or 'none'})"
            )
        contract = _self_contract(_served_versions(spec), self.version, self.orchestrator)
        template = self
        if self.version is None:
            template = EventTemplate({**self.fields, "dataschema": contract.dataschema})
        trial = template.mint(execution_id=_TRIAL_ID, event_id=_TRIAL_ID, time=_TRIAL_TIME)
        validation = validate_machine_input(trial, self_contract=contract, service_contracts={})
        if not validation.ok:
            raise InvalidEventTemplate(
                f"the event template breaks {self.orchestrator} {contract.version}'s contract: "
                f"{validation.reason}"
            )
        return template

    def ready(self) -> EventTemplate:
        """This template, once it can fire (it has a version).

        Raises:
            InvalidEventTemplate: no version (see ``mint``).
        """
        self.mint(execution_id=_TRIAL_ID, event_id=_TRIAL_ID, time=_TRIAL_TIME)
        return self

    def mint(self, *, execution_id: str, event_id: str, time: datetime) -> ArvoEvent:
        """The init event of one fire: a root subject with ``execution_id``, id ``event_id``.

        Raises:
            InvalidEventTemplate: the template lacks a version, or a field is invalid (named).
        """
        version = self.version
        if version is None:
            raise InvalidEventTemplate(
                "the event template has no version: give dataschema '<contract uri>/<X.Y.Z>', "
                "or --app to take the newest version the app serves"
            )
        return self._build(version, execution_id, event_id, time)

    def _build(self, version: str, execution_id: str, event_id: str, time: datetime) -> ArvoEvent:
        fields = dict(self.fields)
        data = fields.get("data")
        if isinstance(data, Mapping):
            fields["data"] = {PARENT_SUBJECT_KEY: None, **data}
        redirectto = fields.get("redirectto")
        try:
            subject = ArvoOrchestrationSubject.create(
                {
                    "orchestrator": {"name": self.orchestrator, "version": version},
                    "execution": {
                        "id": execution_id,
                        "initiator": fields.get("source"),
                        "domain": fields.get("domain"),
                    },
                    "meta": {"redirectto": redirectto} if isinstance(redirectto, str) else {},
                }
            )
            return ArvoEvent.from_json(
                {
                    "to": self.orchestrator,
                    **fields,
                    "id": event_id,
                    "subject": subject,
                    "time": format_arvo_time(time),
                }
            )
        except InvalidSubjectError as error:
            reason = str(error).removeprefix("Error creating orchestration subject string: ")
            raise InvalidEventTemplate(
                f"the event template cannot make a subject: {reason} "
                "(execution.initiator is the template's source)"
            ) from None
        except ArvoEventValidationError as error:
            details = "; ".join(f"{key}: {reason}" for key, reason in error.errors.items())
            raise InvalidEventTemplate(
                f"the event template is not a valid event: {details}"
            ) from None


def _is_init_type(event_type: str) -> bool:
    return event_type.startswith(_ORCHESTRATOR_PREFIX) and not event_type.endswith(".done")


def _served_versions(spec: AnySpec) -> dict[str, VersionedArvoContract]:
    """The self contract of each version ``spec`` serves (a machine per version, or every
    version of a resumable's contract)."""
    if isinstance(spec, ResumableSpec):
        contract = spec.resumable.contract
        return {version: contract.version(version) for version in contract.versions}
    return {machine.version: machine.self_contract for machine in spec.machines}


def _self_contract(
    served: dict[str, VersionedArvoContract], version: str | None, orchestrator: str
) -> VersionedArvoContract:
    if version is None:
        return served[max(served, key=_BY_VERSION)]
    if version not in served:
        raise InvalidEventTemplate(
            f"the app does not serve {orchestrator} {version} "
            f"(it serves: {', '.join(sorted(served, key=_BY_VERSION))})"
        )
    return served[version]


_BY_VERSION = cmp_to_key(compare_semantic_versions)

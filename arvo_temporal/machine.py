"""Arvo machines: statecharts bound to a versioned orchestrator contract and its services.

``setup_arvo_machine(contracts=..., actions=..., guards=...).create_machine(id=..., config=...)``
mirrors Arvo's ``setupArvoMachine`` (docs/arvo.md §5.7) and checks everything at declaration: the
version belongs to the self contract, service contracts are distinct, statically known emitted
types belong to a service contract, and the statechart itself is valid (unknown targets, actions
and guards are refused with the path in the config).

Beyond Arvo: ``after`` (delayed transitions) and named ``delays`` are allowed, because on Temporal
they become durable timers; pass ``arvo_compatible=True`` to refuse them (and everything else
TypeScript Arvo refuses) for machines that must stay portable to the TypeScript runtime.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arvo_temporal.contracts import VersionedArvoContract
from arvo_temporal.errors import ConfigViolation, InvalidMachineDefinition, UnknownStateError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.statechart import ActionArgs, Emit, Machine, assign
from arvo_temporal.statechart._active import (
    accepted_events,
    active_tags,
    all_state_paths,
    state_paths,
)
from arvo_temporal.statechart._json_config import json_config
from arvo_temporal.statechart._mermaid import to_mermaid
from arvo_temporal.validation import InputValidation, validate_machine_input

__all__ = [
    "ENQUEUE_ACTION",
    "ArvoMachine",
    "ArvoMachineSetup",
    "MachineOrigin",
    "enqueue_arvo_event",
    "setup_arvo_machine",
]

ENQUEUE_ACTION = "enqueueArvoEvent"
_ARVO_FORBIDDEN_KEYS = frozenset({"invoke", "after", ENQUEUE_ACTION})

RawEventSource = Mapping[str, Any] | Callable[[ActionArgs, Mapping[str, Any]], Mapping[str, Any]]


def _queued(context: Mapping[str, Any]) -> list[Any]:
    arvo = context.get("arvo$$") or {}
    volatile = arvo.get("volatile$$") or {}
    return list(volatile.get("eventQueue$$") or [])


def enqueue_arvo_event(event: RawEventSource) -> Any:
    """Arvo's ``enqueueArvoEvent``: queue a raw event (any type, no contract needed).

    Queued events are emitted *after* every ``emit``-ted event of the same step, whatever the
    order the actions ran in, as Arvo does. ``event`` is a raw event dict
    (``{"type", "data", "to"?, "domain"?, ...}``) or ``(args, params) -> dict``.
    """

    def patch(args: ActionArgs, params: Mapping[str, Any]) -> dict[str, Any]:
        raw = event(args, params) if callable(event) else event
        queue = [*_queued(args.context), dict(raw)]
        arvo = dict(args.context.get("arvo$$") or {})
        arvo["volatile$$"] = {**(arvo.get("volatile$$") or {}), "eventQueue$$": queue}
        return {"arvo$$": arvo}

    return assign(patch)


def _enqueue_named(args: ActionArgs, params: Mapping[str, Any]) -> Any:
    """The built-in named action ``{"type": "enqueueArvoEvent", "params": <raw event>}``."""
    return enqueue_arvo_event(dict(params))


def _walk_states(config: Mapping[str, Any], path: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    found = [(path or "(root)", config)]
    states = config.get("states")
    if isinstance(states, Mapping):
        for key, child in states.items():
            if isinstance(child, Mapping):
                found.extend(
                    _walk_states(child, f"{path}.states.{key}" if path else f"states.{key}")
                )
    return found


def _static_emit_types(value: Any) -> list[str]:
    """Event types of ``emit`` builder objects with a fixed event, found anywhere in ``value``."""
    if isinstance(value, Emit):
        source = value.source
        return [source["type"]] if isinstance(source, Mapping) else []
    if isinstance(value, Mapping):
        return [t for item in value.values() for t in _static_emit_types(item)]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _static_emit_types(item)]
    return []


def _has_parallel_states(config: Mapping[str, Any]) -> bool:
    return any(state.get("type") == "parallel" for _, state in _walk_states(config))


@dataclass(frozen=True)
class MachineOrigin:
    """Where a machine was built: the module, the function that built it, and its arguments.

    The Temporal adapter uses it to build the machine again *inside* the workflow sandbox (by
    importing ``module`` there and calling ``factory`` with the same ``arguments``, or finding
    the machine among the module's globals when ``factory`` is None), so that the machine's
    actions, guards and factories run under the sandbox's restrictions like workflow code.

    Attributes:
        module: the module that called ``create_machine``.
        factory: the qualified name of the function that called it; None at module level.
        arguments: that function's arguments as it was called, when all are plain data
            (None, bool, int, float, str, and tuples, lists and dicts of them); None otherwise.
    """

    module: str
    factory: str | None
    arguments: tuple[tuple[str, Any], ...] | None = ()

    @property
    def rebuildable(self) -> bool:
        """True when importing ``module`` again can produce the machine."""
        if self.module == "__main__" or self.arguments is None:
            return False
        return self.factory is None or "<" not in self.factory

    def describe(self) -> str:
        """``module:factory(arguments)`` or ``module`` for messages."""
        if self.factory is None:
            return self.module
        shown = ", ".join(f"{name}={value!r}" for name, value in self.arguments or ())
        return f"{self.module}:{self.factory}({shown})"


def _plain(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if depth > 4:
        return False
    if isinstance(value, (tuple, list)):
        return all(_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item, depth + 1) for key, item in value.items())
    return False


def _caller_origin() -> MachineOrigin | None:  # pragma: no mutate block (MUTATION.md)
    """The first frame outside ``arvo_temporal`` (the code that asked for the machine)."""
    frame = sys._getframe(1)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if not (module == "arvo_temporal" or module.startswith("arvo_temporal.")):
            code = frame.f_code
            if code.co_qualname == "<module>":
                return MachineOrigin(module=module, factory=None)
            variadic = code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
            names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            values = tuple((name, frame.f_locals.get(name)) for name in names)
            plain = not variadic and all(_plain(value) for _, value in values)
            return MachineOrigin(
                module=module, factory=code.co_qualname, arguments=values if plain else None
            )
        frame = frame.f_back  # type: ignore[assignment]
    return None


@dataclass(frozen=True)
class ArvoMachine:
    """A versioned Arvo machine: its statechart plus the contracts it speaks.

    Attributes:
        id: the machine id (also the statechart's root id).
        version: the self contract version this machine implements.
        self_contract: the orchestrator contract version (``arvo.orc.<name>``).
        service_contracts: the contracts of the services it calls, by key.
        logic: the compiled statechart.
        requires_resource_locking: True with parallel states or a service version that emits
            more than one type, where concurrent events could interleave (docs/arvo.md §5.7).
    """

    id: str
    version: str
    self_contract: VersionedArvoContract
    service_contracts: Mapping[str, VersionedArvoContract]
    logic: Machine
    requires_resource_locking: bool
    config: Mapping[str, Any] = field(repr=False, default_factory=dict)
    origin: MachineOrigin | None = field(default=None, compare=False)

    @property
    def source(self) -> str:
        """The orchestrator's source, ``arvo.orc.<name>``."""
        return self.self_contract.accepts_type

    def to_mermaid(self, *, active: Any = None) -> str:
        """The statechart as a Mermaid ``stateDiagram-v2`` (arvo_temporal/statechart/_mermaid.py).

        Args:
            active: a state value (a record's ``value``) whose states are styled ``active``.
        """
        return to_mermaid(self.logic, self.config, active=active)

    def to_json_config(self) -> dict[str, Any]:
        """The statechart config as XState JSON; Python logic shows as ``"inline:<kind>"``
        markers (arvo_temporal/statechart/_json_config.py)."""
        return json_config(self.config)

    def active_states(self, value: Any) -> list[str]:
        """The dotted paths of the states a record's ``value`` names, ancestors included
        (``{"work": {"a": "a1"}}`` → ``work``, ``work.a``, ``work.a.a1``), in document order."""
        return state_paths(self.logic, value)

    def accepts(self, value: Any) -> list[str]:
        """The event types the configuration ``value`` has transitions for (sorted; XState's
        internal timer and completion events left out): what can be sent to it now."""
        return accepted_events(self.logic, value)

    def tags(self, value: Any) -> list[str]:
        """The ``tags`` of the active states of ``value`` (XState's ``hasTag``), sorted."""
        return active_tags(self.logic, self.config, value)

    @property
    def state_paths(self) -> list[str]:
        """Every state's dotted path, in document order (``work``, ``work.a``, ``work.a.a1``)."""
        return all_state_paths(self.logic)

    def check_state(self, path: str) -> None:
        """Refuse a state path this machine does not have (before anyone waits or searches
        for it).

        Raises:
            UnknownStateError: naming the path and the machine's states.
        """
        known = self.state_paths
        if path not in known:
            raise UnknownStateError(path, machine=f"{self.source} {self.version}", known=known)

    def validate_input(self, event: ArvoEvent) -> InputValidation:
        """Arvo's ``validateInput``: VALID, CONTRACT_UNRESOLVED, INVALID or INVALID_DATA."""
        return validate_machine_input(
            event, self_contract=self.self_contract, service_contracts=self.service_contracts
        )


@dataclass(frozen=True)
class ArvoMachineSetup:
    """The result of :func:`setup_arvo_machine`; ``create_machine`` builds machines from it."""

    self_contract: VersionedArvoContract
    service_contracts: Mapping[str, VersionedArvoContract]
    actions: Mapping[str, Any]
    guards: Mapping[str, Any]
    delays: Mapping[str, Any]
    arvo_compatible: bool = False

    def create_machine(
        self,
        *,
        id: str,
        config: Mapping[str, Any],
        version: str | None = None,
        context: Callable[[dict[str, Any]], dict[str, Any]] | Mapping[str, Any] | None = None,
        output: Callable[..., Any] | None = None,
    ) -> ArvoMachine:
        """Compile ``config`` into an :class:`ArvoMachine`.

        ``context`` builds the machine context from the init event's JSON (Arvo's ``input``);
        ``output`` builds the machine output (the completion event's data) when it finishes.

        Raises:
            ConfigViolation: a version other than the self contract's, or a state using a key
                TypeScript Arvo refuses while ``arvo_compatible`` is set.
            InvalidMachineDefinition: the statechart or an emitted type is invalid (with the path).
        """
        if version is not None and version != self.self_contract.version:
            raise ConfigViolation(
                f"The machine version {version!r} must be the self contract's version "
                f"{self.self_contract.version!r}"
            )
        if self.arvo_compatible:
            for path, state in _walk_states(config):
                forbidden = sorted(_ARVO_FORBIDDEN_KEYS & set(state))
                if forbidden and path != "(root)":
                    raise ConfigViolation(
                        f"{path}: {forbidden} cannot be used in an Arvo machine (arvo_compatible)"
                    )
        service_types = {contract.accepts_type for contract in self.service_contracts.values()}
        for event_type in _static_emit_types(config):
            if event_type not in service_types:
                raise InvalidMachineDefinition(
                    f"emits {event_type!r}, which no service contract accepts "
                    f"(known: {sorted(service_types)}); use enqueue_arvo_event for other events",
                    path=f"machine {id}",
                )
        full_config = {**config, "id": id}
        logic = Machine(
            full_config,
            actions={**self.actions, ENQUEUE_ACTION: _enqueue_named},
            guards=self.guards,
            delays=self.delays,
            context=context,
            output=output,
        )
        multi_emit = any(len(contract.emits) > 1 for contract in self.service_contracts.values())
        return ArvoMachine(
            id=id,
            version=self.self_contract.version,
            self_contract=self.self_contract,
            service_contracts=dict(self.service_contracts),
            logic=logic,
            requires_resource_locking=_has_parallel_states(config) or multi_emit,
            config=full_config,
            origin=_caller_origin(),
        )


def setup_arvo_machine(
    *,
    contracts: Mapping[str, Any],
    actions: Mapping[str, Any] | None = None,
    guards: Mapping[str, Any] | None = None,
    delays: Mapping[str, Any] | None = None,
    arvo_compatible: bool = False,
) -> ArvoMachineSetup:
    """Arvo's ``setupArvoMachine``.

    Args:
        contracts: ``{"self": <orchestrator contract version>, "services": {key: <version>}}``.
        actions: named action implementations (builders or ``fn(args, params)``).
        guards: named guard implementations ``fn(args, params) -> bool``.
        delays: named delays (milliseconds, or ``fn(args, params) -> ms``).
        arvo_compatible: refuse what TypeScript Arvo refuses (``after``, ``delays``).

    Raises:
        ConfigViolation: as Arvo raises it (duplicate service uris, the self contract listed as
            a service, an action named ``enqueueArvoEvent``, delays with ``arvo_compatible``).
    """
    self_contract = contracts.get("self")
    services = contracts.get("services") or {}
    if not isinstance(self_contract, VersionedArvoContract) or not self_contract.is_orchestrator:
        raise ConfigViolation("contracts['self'] must be a version of an orchestrator contract")
    if not isinstance(services, Mapping) or not all(
        isinstance(contract, VersionedArvoContract) for contract in services.values()
    ):
        raise ConfigViolation("contracts['services'] must map keys to versioned contracts")
    uris = [contract.uri for contract in services.values()]
    duplicates = sorted({uri for uri in uris if uris.count(uri) > 1})
    if duplicates:
        raise ConfigViolation(f"Service contracts must have distinct uris, repeated: {duplicates}")
    if self_contract.uri in uris:
        raise ConfigViolation("The self contract cannot also be listed as a service contract")
    if ENQUEUE_ACTION in (actions or {}):
        raise ConfigViolation(f"'{ENQUEUE_ACTION}' is a reserved action name in Arvo machines")
    if arvo_compatible and delays:
        raise ConfigViolation("Arvo machines cannot declare delays (arvo_compatible)")
    return ArvoMachineSetup(
        self_contract=self_contract,
        service_contracts=dict(services),
        actions=dict(actions or {}),
        guards=dict(guards or {}),
        delays=dict(delays or {}),
        arvo_compatible=arvo_compatible,
    )

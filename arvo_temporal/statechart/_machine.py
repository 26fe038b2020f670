"""``Machine``: a checked, precompiled statechart plus the per-machine lookup caches.

Everything about a config is decided here once (targets, implementations, transition domains,
candidate lists), so that ``start`` and ``send`` only walk precomputed tables.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from arvo_temporal.statechart._bind import Implementations
from arvo_temporal.statechart._compile import compile_config
from arvo_temporal.statechart._configuration import Layout
from arvo_temporal.statechart._engine import domain_of
from arvo_temporal.statechart._guards import GuardSpec
from arvo_temporal.statechart._tree import HISTORY, NO_DOMAIN, StateNode, Transition

__all__ = ["Machine"]

_CANDIDATE_LIMIT: Final = 1024


class Machine:
    """An XState v5 JSON machine config, checked and compiled at construction.

    Args:
        config: the machine config (``id``, ``initial``, ``states``, ``on``, ...), as JSON data
            with named actions and guards; Python callables and builder objects may stand in for
            inline logic.
        actions: named actions: ``assign(...)``, ``emit(...)``, ``raise_(...)`` or callables
            ``fn(args, params)`` that may return further actions to run in place.
        guards: named guards: callables ``fn(args, params) -> bool`` or ``and_/or_/not_(...)``.
        delays: named delays for ``after``: milliseconds or ``fn(args) -> milliseconds``.
        context: the initial context, a dict or ``fn(input) -> dict`` (instead of the config's).
        output: the machine output, ``fn(context) -> output`` (instead of the config's).

    Raises:
        InvalidMachineDefinition: anything the interpreter cannot run, with the config path.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        actions: Mapping[str, Any] | None = None,
        guards: Mapping[str, GuardSpec] | None = None,
        delays: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
        output: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.impls = Implementations(actions, guards, delays)
        compiled = compile_config(config, self.impls, context=context, output=output)
        self.id: str = compiled.machine_id
        self.nodes: list[StateNode] = compiled.nodes
        self.layout = Layout(self.nodes, self.id)
        self.has_always = compiled.has_always
        self.has_history = compiled.has_history
        self._id_map = compiled.id_map
        self._context = compiled.context
        self._output = compiled.output
        self._has_output = compiled.has_output
        for node in self.nodes:
            node.always_chain = tuple(
                i for i in (node.index, *node.ancestors) if self.nodes[i].always
            )
            for transitions in (*node.on.values(), node.always):
                for transition in transitions:
                    self._prepare(transition)
        # Selection caches (``Step.select``): per event type, whether no transition that could
        # be selected for it has a guard; per (configuration, event type) of those, the result.
        self.unguarded_types: dict[str, bool] = {}
        self.selections: dict[tuple[int, str], list[Transition]] = {}
        initial_states = tuple(i for i in self.layout.ascending(self.layout.mask_of({})))
        self.initial_transition = Transition(0, initial_states, True, None, (), "xstate.init")
        self._prepare(self.initial_transition)

    def __repr__(self) -> str:
        return f"Machine({self.id!r}, states={len(self.nodes)})"

    @property
    def state_ids(self) -> tuple[str, ...]:
        """Ids of every state, in document order."""
        return tuple(node.id for node in self.nodes)

    def _prepare(self, transition: Transition) -> None:
        nodes = self.nodes
        targets = transition.targets or ()
        transition.static = all(nodes[t].kind != HISTORY for t in targets)
        if not transition.static:
            return
        domain = domain_of(nodes, transition, targets)
        transition.domain = domain
        if domain == NO_DOMAIN:
            transition.exit_scope = -1
        else:
            scope = nodes[domain].desc_mask
            if transition.reenter and transition.source == domain:
                scope |= nodes[domain].bit
            transition.exit_scope = scope

    # -- used by the engine ----------------------------------------------------------------------

    def candidates(self, node: StateNode, event_type: str) -> tuple[Transition, ...]:
        """Transitions of ``node`` for an event type: exact descriptor first, then matching
        wildcards, longest first (§3 point 1, XState 5.33.3)."""
        found = node.candidates.get(event_type)
        if found is not None:
            return found
        out = list(node.on.get(event_type, ()))
        for descriptor, transitions in node.wildcards:
            if descriptor != event_type and _matches(event_type, descriptor):
                out.extend(transitions)
        found = tuple(out)
        if len(node.candidates) >= _CANDIDATE_LIMIT:
            node.candidates.clear()
        node.candidates[event_type] = found
        return found

    def unguarded(self, event_type: str) -> bool:
        """True when no state has a guarded transition for ``event_type`` (wildcards included),
        so that selecting one is a function of the active states alone."""
        found = self.unguarded_types.get(event_type)
        if found is None:
            found = all(
                transition.guard is None
                for node in self.nodes
                for transition in self.candidates(node, event_type)
            )
            _remember(self.unguarded_types, event_type, found)
        return found

    def remember_selection(self, key: tuple[int, str], transitions: list[Transition]) -> None:
        """Keep what an unguarded selection found (read back from ``selections``; not mutated)."""
        _remember(self.selections, key, transitions)

    def index_of(self, state_id: str) -> int:
        """Node index of a state id from history memory; ``ValueError`` if the machine has none."""
        try:
            return self._id_map[state_id]
        except KeyError:
            raise ValueError(
                f"snapshot history names state {state_id!r}, which machine {self.id!r} lacks"
            ) from None

    def initial_context(self, input: Any) -> dict[str, Any]:
        """The context a new run starts with."""
        source = self._context
        if source is None:
            return {}
        if callable(source):
            context = source(input)
            if not isinstance(context, Mapping):
                raise TypeError(f"the context function must return a mapping, got {context!r}")
            return dict(context)
        return copy.deepcopy(dict(source))

    def machine_output(self, context: dict[str, Any]) -> Any:
        """The output once the machine is done (``None`` when the machine declares none)."""
        if not self._has_output:
            return None
        output = self._output
        return output(context) if callable(output) else output


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CANDIDATE_LIMIT:
        cache.clear()
    cache[key] = value


def _matches(event_type: str, descriptor: str) -> bool:
    if descriptor == "*":
        return True
    prefix = descriptor[:-2]
    return event_type == prefix or event_type.startswith(prefix + ".")

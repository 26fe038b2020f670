"""What a state value means for people: its active states, the events it accepts, its tags.

A record keeps a state value (``"idle"``, ``{"work": {"a": "a1", "b": "b1"}}``); the Temporal UI,
the ``status`` query, ``arvo-temporal list --state`` and ``wait`` need it as dotted state paths
with their ancestors (``work``, ``work.a``, ``work.a.a1``), so a search for a compound state finds
every execution inside it. The events a configuration accepts are the event types of the
transitions of its active states and their ancestors (the machine root's own included): what a
person or a service can send now. XState's internal events (``xstate.after.*`` timers,
``xstate.done.*`` completions, eventless ``always``) are the machine's own business and are left
out. Tags are XState's ``tags`` of the active states (``snapshot.hasTag``), read from the config
because the interpreter has no use for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arvo_temporal.statechart._machine import Machine
from arvo_temporal.statechart._tree import HISTORY, StateNode

__all__ = [
    "accepted_events",
    "active_states",
    "active_tags",
    "all_state_paths",
    "state_config",
    "state_path",
    "state_paths",
]

_INTERNAL_PREFIX = "xstate."


def active_states(machine: Machine, value: Any) -> list[int]:
    """The node indexes of the states a state value names (with their ancestors), in document
    order; keys the machine does not have are skipped (a value of another machine version)."""
    found: set[int] = set()

    def walk(parent: int, value: Any) -> None:
        children = machine.nodes[parent].child_by_key
        if isinstance(value, str) and value in children:
            found.add(children[value])
        elif isinstance(value, Mapping):
            for key, inner in value.items():
                if key in children:
                    found.add(children[key])
                    walk(children[key], inner)

    walk(0, value)
    return sorted(found)


def state_path(machine: Machine, node: StateNode) -> str:
    """``work.a.a1``: the keys from the root's child down to ``node``."""
    keys = [machine.nodes[index].key for index in reversed(node.ancestors[:-1])]
    return ".".join([*keys, node.key])


def state_paths(machine: Machine, value: Any) -> list[str]:
    """The dotted paths of the states ``value`` names, ancestors first (document order)."""
    nodes = machine.nodes
    return [state_path(machine, nodes[i]) for i in active_states(machine, value)]


def all_state_paths(machine: Machine) -> list[str]:
    """Every state's dotted path, history pseudo-states aside, in document order."""
    nodes = machine.nodes
    return [state_path(machine, node) for node in nodes[1:] if node.kind != HISTORY]


def accepted_events(machine: Machine, value: Any) -> list[str]:
    """The event types the configuration ``value`` has transitions for, sorted (wildcards such as
    ``evt.*`` as written); a guard may still refuse one, which only the event itself can tell."""
    accepted: set[str] = set()
    for index in (0, *active_states(machine, value)):
        accepted.update(
            descriptor
            for descriptor in machine.nodes[index].on
            if not descriptor.startswith(_INTERNAL_PREFIX)
        )
    return sorted(accepted)


def state_config(config: Mapping[str, Any], node: StateNode) -> Mapping[str, Any]:
    """The config object of ``node`` (its path is ``states.a.states.b``)."""
    current: Any = config
    parts = node.path.split(".") if node.path else []
    for part in parts:
        current = current.get(part, {}) if isinstance(current, Mapping) else {}
    return current if isinstance(current, Mapping) else {}


def active_tags(machine: Machine, config: Mapping[str, Any], value: Any) -> list[str]:
    """The tags (``"tags": "x"`` or ``["x", "y"]`` in the config) of the active states, sorted."""
    tags: set[str] = set()
    for index in (0, *active_states(machine, value)):
        declared = state_config(config, machine.nodes[index]).get("tags")
        if isinstance(declared, str):
            tags.add(declared)
        elif isinstance(declared, Sequence):
            tags.update(tag for tag in declared if isinstance(tag, str))
    return sorted(tags)

"""A machine as a Mermaid ``stateDiagram-v2``, so people can see it (``arvo-temporal graph``).

The structure comes from the compiled tree (targets already resolved, whatever the config wrote:
``"sibling"``, ``".child"`` or ``"#id"``); the labels come from the config, which still holds the
guard names the compiled tree has turned into functions. The shape of the text:

* states first, nested as the machine nests them: ``state id { ... }`` for compound states, the
  regions of a parallel state separated by ``--``, ``[*] --> initial`` in each block, a final
  state as ``id --> [*]`` in its block, a history state as ``state "H" as id`` (``H*`` deep)
  with an arrow to its default target;
* then every transition at the top level, ``source --> target : label`` (a targetless one is a
  loop on its source; the machine root's own transitions, which any state takes, are listed in a
  note on the first state), after all states exist: a transition written inside a block would create
  a new state there when it names one declared elsewhere. Labels are ``EVENT``, ``EVENT [guard]``,
  ``after 5s`` (or the delay's name), ``always`` for eventless transitions and ``onDone``;
* ``classDef active`` and a ``class`` line for the states of a configuration, when one is given.

State ids are the state keys, made unique with their parents' keys when two states share a key,
and limited to letters, digits and ``_`` (Mermaid's ids); ``state "key" as id`` keeps the real
key visible when the id had to differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from arvo_temporal.statechart._active import active_states, state_config
from arvo_temporal.statechart._guards import And, Not, Or
from arvo_temporal.statechart._machine import Machine
from arvo_temporal.statechart._tree import FINAL, HISTORY, PARALLEL, StateNode, Transition

__all__ = ["ACTIVE_CLASS", "active_states", "to_mermaid"]

ACTIVE_CLASS = "active"
_ACTIVE_STYLE = "fill:#ffd54f,stroke:#e65100,stroke-width:3px"
_AFTER_PREFIX = "xstate.after."
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")
# Characters Mermaid reads as syntax inside a label, written as its #code; entities.
_LABEL_ESCAPES = {"#": "#35;", ";": "#59;", "{": "#123;", "}": "#125;", ":": "#58;"}


def _mermaid_ids(nodes: Sequence[StateNode]) -> dict[int, str]:
    """A unique Mermaid id per non-root state: its key, or ``parent_key`` when keys repeat."""
    ids: dict[int, str] = {}
    taken: set[str] = set()
    for node in nodes[1:]:
        keys = [nodes[index].key for index in reversed(node.ancestors[:-1])] + [node.key]
        chosen = ""
        for start in range(len(keys) - 1, -1, -1):
            candidate = _NOT_ID.sub("_", "_".join(keys[start:])) or "state"
            if candidate not in taken:
                chosen = candidate
                break
        if not chosen:
            chosen = f"{_NOT_ID.sub('_', node.key) or 'state'}_{node.index}"
        taken.add(chosen)
        ids[node.index] = chosen
    return ids


def _label(text: str) -> str:
    return "".join(_LABEL_ESCAPES.get(char, char) for char in text)


def _guard_name(spec: Any) -> str:
    """A guard as people read it: ``isBig``, ``a and b``, ``!(a or b)``."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, And | Or):
        return f" {spec.kind} ".join(_grouped(member) for member in spec.guards)
    if isinstance(spec, Not):
        return f"!{_grouped(spec.guards[0])}"
    if isinstance(spec, Mapping):
        kind = spec.get("type")
        if kind in ("and", "or") and isinstance(spec.get("guards"), Sequence):
            return f" {kind} ".join(_grouped(member) for member in spec["guards"])
        if kind == "not":
            return f"!{_grouped(spec.get('guard'))}"
        return str(kind)
    name = getattr(spec, "__name__", "")
    return name if name and name != "<lambda>" else "guard"


def _grouped(spec: Any) -> str:
    text = _guard_name(spec)
    return f"({text})" if " " in text else text


def _items(value: Any) -> list[Any]:
    """A transition value as the list of transition objects the compiler saw."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _raw_transitions(state: Mapping[str, Any], node: StateNode, descriptor: str) -> list[Any]:
    """The config's transition objects for one of the compiled descriptors of ``node``."""
    if descriptor == node.done_type and "onDone" in state:
        return _items(state["onDone"])
    if descriptor.startswith(_AFTER_PREFIX) and isinstance(state.get("after"), Mapping):
        delay = _delay_of(descriptor, node)
        for key, value in state["after"].items():
            if str(key) == delay:
                return _items(value)
    on = state.get("on")
    if isinstance(on, Mapping) and descriptor in on:
        return _items(on[descriptor])
    return []


def _delay_of(descriptor: str, node: StateNode) -> str:
    return descriptor[len(_AFTER_PREFIX) : -(len(node.id) + 1)]


def _duration(delay: str) -> str:
    """``5000`` → ``5s``, ``90000`` → ``90s``, ``120000`` → ``2min``; a named delay as is."""
    if not delay.isdigit():
        return delay
    ms = int(delay)
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _event_label(descriptor: str, node: StateNode) -> str:
    if descriptor == "":
        return "always"
    if descriptor == node.done_type:
        return "onDone"
    if descriptor.startswith(_AFTER_PREFIX) and descriptor.endswith(f".{node.id}"):
        return f"after {_duration(_delay_of(descriptor, node))}"
    return descriptor


def _transition_lines(
    machine: Machine, config: Mapping[str, Any], ids: dict[int, str]
) -> tuple[list[str], list[str]]:
    """The arrows, and the machine root's own transitions (taken from any state) for a note."""
    lines: list[str] = []
    root_notes: list[str] = []
    for node in machine.nodes:
        if node.kind == HISTORY:
            continue
        state = state_config(config, node)
        groups: list[tuple[str, tuple[Transition, ...], list[Any]]] = [
            (descriptor, transitions, _raw_transitions(state, node, descriptor))
            for descriptor, transitions in node.on.items()
        ]
        if node.always:
            groups.append(("", node.always, _items(state.get("always"))))
        for descriptor, transitions, raw in groups:
            event = _event_label(descriptor, node)
            for position, transition in enumerate(transitions):
                item = raw[position] if position < len(raw) else None
                guard = item.get("guard") if isinstance(item, Mapping) else None
                label = event if guard is None else f"{event} [{_guard_name(guard)}]"
                for target in transition.targets or (node.index,):
                    if node.parent < 0:
                        # The root is the diagram itself, with no box to draw an arrow from.
                        where = "itself" if target == 0 else ids[target]
                        root_notes.append(f"{_label(label)} → {where}")
                    elif target != 0:
                        lines.append(f"{ids[node.index]} --> {ids[target]} : {_label(label)}")
    return lines, root_notes


def _block(
    machine: Machine, node: StateNode, ids: dict[int, str], depth: int, lines: list[str]
) -> None:
    """The states inside ``node`` (its children; for a parallel state, its regions)."""
    pad = "    " * depth
    nodes = machine.nodes
    if node.kind != PARALLEL and node.initial >= 0:
        lines.append(f"{pad}[*] --> {ids[node.initial]}")
    children = [*node.children, *node.history_children]
    for position, index in enumerate(children):
        child = nodes[index]
        if node.kind == PARALLEL and position > 0 and child.kind != HISTORY:
            lines.append(f"{pad}--")
        _state(machine, child, ids, depth, lines)


def _state(
    machine: Machine, node: StateNode, ids: dict[int, str], depth: int, lines: list[str]
) -> None:
    pad = "    " * depth
    mermaid_id = ids[node.index]
    if node.kind == HISTORY:
        lines.append(f'{pad}state "{"H*" if node.deep_history else "H"}" as {mermaid_id}')
        for target in node.history_default:
            if target != 0:
                lines.append(f"{pad}{mermaid_id} --> {ids[target]} : default")
        return
    if node.children or node.history_children:
        lines.append(f"{pad}state {mermaid_id} {{")
        _block(machine, node, ids, depth + 1, lines)
        lines.append(f"{pad}}}")
    elif mermaid_id != node.key:
        lines.append(f'{pad}state "{_label(node.key)}" as {mermaid_id}')
    else:
        lines.append(f"{pad}{mermaid_id}")
    if node.kind == FINAL:
        lines.append(f"{pad}{mermaid_id} --> [*]")


def to_mermaid(machine: Machine, config: Mapping[str, Any], *, active: Any = None) -> str:
    """The machine as Mermaid ``stateDiagram-v2`` text (see the module docstring).

    Args:
        machine: the compiled statechart.
        config: the config it was compiled from (for the guard names).
        active: a state value (``"idle"``, ``{"work": {"a": "a1", "b": "b1"}}``) whose states are
            styled with ``classDef active``; None for the bare machine.
    """
    ids = _mermaid_ids(machine.nodes)
    lines = ["stateDiagram-v2"]
    _block(machine, machine.nodes[0], ids, 1, lines)
    arrows, root_notes = _transition_lines(machine, config, ids)
    lines.extend(f"    {line}" for line in arrows)
    root = machine.nodes[0]
    first = ids.get(root.initial if root.initial > 0 else (root.children or (0,))[0])
    if root_notes and first is not None:
        lines.append(f"    note right of {first}")
        lines.append("        in any state:")
        lines.extend(f"        {note}" for note in root_notes)
        lines.append("    end note")
    if active is not None:
        marked = [ids[index] for index in active_states(machine, active)]
        lines.append(f"    classDef {ACTIVE_CLASS} {_ACTIVE_STYLE}")
        if marked:
            lines.append(f"    class {','.join(marked)} {ACTIVE_CLASS}")
    return "\n".join(lines) + "\n"

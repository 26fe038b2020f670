"""``to_mermaid`` and ``to_json_config``: every construct, read back structurally.

The diagram is parsed into blocks (``state X { ... }`` with ``--`` region separators), declared
states, arrows with labels and the ``class`` line, and each construct is asserted on that
structure, so a change of whitespace or ordering does not break the tests but a lost arrow does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from arvo_temporal.statechart import Machine, and_, assign, emit, not_
from arvo_temporal.statechart._json_config import json_config
from arvo_temporal.statechart._mermaid import active_states, to_mermaid
from examples.approval.machine import build_expense_machine

_ARROW = re.compile(r"^(\S+) --> (\S+)(?: : (.*))?$")


@dataclass
class Block:
    name: str
    regions: list[list[str]] = field(default_factory=lambda: [[]])
    children: dict[str, Block] = field(default_factory=dict)

    @property
    def members(self) -> list[str]:
        return [line for region in self.regions for line in region]


@dataclass
class Diagram:
    root: Block
    arrows: list[tuple[str, str, str]]  # every arrow, in whichever block it was written
    declared: dict[str, str]  # mermaid id → shown label
    active: list[str]
    class_defs: list[str]
    notes: list[str]

    def block(self, *path: str) -> Block:
        block = self.root
        for name in path:
            block = block.children[name]
        return block

    def labels(self, source: str, target: str) -> list[str]:
        return [label for s, t, label in self.arrows if (s, t) == (source, target)]


def parse(text: str) -> Diagram:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "stateDiagram-v2"
    root = Block("(root)")
    stack = [root]
    arrows: list[tuple[str, str, str]] = []
    declared: dict[str, str] = {}
    active: list[str] = []
    class_defs: list[str] = []
    notes: list[str] = []
    in_note = False
    for line in lines[1:]:
        current = stack[-1]
        if in_note:
            if line == "end note":
                in_note = False
            else:
                notes.append(line)
            continue
        if line.startswith("note right of "):
            in_note = True
        elif opened := re.fullmatch(r"state (\w+) \{", line):
            child = Block(opened.group(1))
            current.children[child.name] = child
            current.regions[-1].append(child.name)
            declared[child.name] = child.name
            stack.append(child)
        elif line == "}":
            stack.pop()
        elif line == "--":
            current.regions.append([])
        elif labelled := re.fullmatch(r'state "([^"]+)" as (\w+)', line):
            declared[labelled.group(2)] = labelled.group(1)
            current.regions[-1].append(labelled.group(2))
        elif arrow := _ARROW.match(line):
            source, target, label = arrow.groups()
            arrows.append((source, target, label or ""))
            if source == "[*]":
                current.regions[-1].append(f"initial:{target}")
            if target == "[*]":
                current.regions[-1].append(f"final:{source}")
        elif line.startswith("classDef "):
            class_defs.append(line.split()[1])
        elif line.startswith("class "):
            ids, name = line.split()[1:3]
            assert name == "active"
            active.extend(ids.split(","))
        else:
            assert re.fullmatch(r"\w+", line), f"unexpected line {line!r}"
            declared[line] = line
            current.regions[-1].append(line)
    assert stack == [root], "every block is closed"
    return Diagram(root, arrows, declared, active, class_defs, notes)


def big_machine() -> tuple[Machine, dict]:
    config = {
        "id": "m",
        "initial": "idle",
        "on": {"RESET": ".idle"},
        "states": {
            "idle": {
                "on": {
                    "GO": [
                        {"target": "work", "guard": and_("ready", not_("busy"))},
                        {"target": "idle", "reenter": True},
                    ],
                    "PING": {"actions": "log"},
                    "evt.*": "done",
                },
                "after": {"5000": "work", "500": {"target": "done", "guard": "ready"}},
            },
            "work": {
                "type": "parallel",
                "states": {
                    "a": {
                        "initial": "a1",
                        "states": {
                            "a1": {"on": {"NEXT": "a2"}},
                            "a2": {"type": "final"},
                            "hist": {"type": "history", "history": "deep"},
                        },
                    },
                    "b": {
                        "initial": "a1",
                        "states": {
                            "a1": {"on": {"NEXT": {"target": "b2", "guard": "ready"}}},
                            "b2": {"type": "final"},
                        },
                    },
                },
                "onDone": "checking",
            },
            "checking": {
                "always": [{"target": "done", "guard": "ready"}, {"target": "idle"}],
            },
            "later": {"after": {"slow": "done", "120000": "idle"}},
            "done": {"type": "final"},
        },
    }
    machine = Machine(
        config,
        actions={"log": assign(lambda args, params: {})},
        guards={"ready": lambda args, params: True, "busy": lambda args, params: False},
        delays={"slow": 10},
    )
    return machine, config


def test_compound_parallel_final_and_history_nest_as_the_machine_does() -> None:
    machine, config = big_machine()
    diagram = parse(to_mermaid(machine, config))
    top = diagram.root.members
    assert "initial:idle" in top and "final:done" in top
    assert {"idle", "work", "checking", "later", "done"} <= set(top)
    work = diagram.block("work")
    # A parallel state lists its regions separated by "--", and has no initial arrow.
    assert [region[:1] for region in work.regions] == [["a"], ["b"]]
    assert not any(line.startswith("initial:") for line in work.members)
    # "a1" appears in both regions: the second one gets its parent's key for a unique id.
    region_a, region_b = diagram.block("work", "a"), diagram.block("work", "b")
    assert "initial:a1" in region_a.members and "initial:b_a1" in region_b.members
    assert diagram.declared["b_a1"] == "a1"
    assert "final:a2" in region_a.members and "final:b2" in region_b.members
    # A deep history state is drawn as H* with an arrow to its default (the region's initial).
    assert diagram.declared["hist"] == "H*"
    assert "hist" in region_a.members
    assert diagram.labels("hist", "a1") == ["default"]


def test_transitions_are_labelled_with_event_guard_delay_always_and_on_done() -> None:
    machine, config = big_machine()
    diagram = parse(to_mermaid(machine, config))
    assert diagram.labels("idle", "work") == ["GO [ready and !busy]", "after 5s"]
    assert diagram.labels("idle", "idle") == ["GO", "PING"]  # reentering, and targetless
    assert diagram.labels("idle", "done") == ["evt.*", "after 500ms [ready]"]
    assert diagram.labels("a1", "a2") == ["NEXT"]
    assert diagram.labels("b_a1", "b2") == ["NEXT [ready]"]
    assert diagram.labels("work", "checking") == ["onDone"]
    assert diagram.labels("checking", "done") == ["always [ready]"]
    assert diagram.labels("checking", "idle") == ["always"]
    assert diagram.labels("later", "done") == ["after slow"]
    assert diagram.labels("later", "idle") == ["after 2min"]
    # The root's own transition has no box to start from: it is a note "in any state".
    assert diagram.notes == ["in any state:", "RESET → idle"]


def test_active_states_are_styled_with_class_active() -> None:
    machine, config = big_machine()
    value = {"work": {"a": "a2", "b": "a1"}}
    diagram = parse(to_mermaid(machine, config, active=value))
    assert diagram.class_defs == ["active"]
    assert diagram.active == ["work", "a", "a2", "b", "b_a1"]
    assert [machine.nodes[i].id for i in active_states(machine, value)] == [
        "m.work",
        "m.work.a",
        "m.work.a.a2",
        "m.work.b",
        "m.work.b.a1",
    ]
    # A value of another version names states this machine lacks: they are skipped.
    assert active_states(machine, {"gone": "x"}) == []
    assert parse(to_mermaid(machine, config)).active == []


def test_labels_escape_what_mermaid_reads_as_syntax() -> None:
    machine = Machine(
        {
            "id": "x",
            "initial": "a",
            "states": {
                "a": {"on": {"do;it#now": "b-c"}},
                "b-c": {"type": "final"},
            },
        }
    )
    text = to_mermaid(machine, {"id": "x", "initial": "a", "states": {}})
    diagram = parse(text)
    assert diagram.declared["b_c"] == "b-c"
    assert diagram.labels("a", "b_c") == ["do#59;it#35;now"]


def test_arvo_machine_diagram_and_json_config() -> None:
    machine = build_expense_machine()
    diagram = parse(machine.to_mermaid(active="awaitingDecision"))
    assert diagram.labels("awaitingDecision", "approved") == [
        "evt.expense.approval.decided [isApproved]"
    ]
    assert diagram.labels("awaitingDecision", "timedOut") == ["after decisionTimeout"]
    assert diagram.active == ["awaitingDecision"]
    exported = machine.to_json_config()
    # The inline emit is a marker, named logic stays a name.
    assert exported["states"]["awaitingDecision"]["entry"] == "inline:action"
    assert exported["states"]["timedOut"]["entry"] == "recordTimeout"


def test_json_config_with_named_logic_compiles_back_to_the_same_machine() -> None:
    machine, config = big_machine()
    exported = json_config(config)
    assert exported["states"]["idle"]["on"]["GO"][0]["guard"] == {
        "type": "and",
        "guards": ["ready", {"type": "not", "guard": "busy"}],
    }
    again = Machine(
        exported,
        actions={"log": assign(lambda args, params: {})},
        guards={"ready": lambda args, params: True, "busy": lambda args, params: False},
        delays={"slow": 10},
    )
    assert again.state_ids == machine.state_ids
    assert to_mermaid(again, exported) == to_mermaid(machine, config)


@pytest.mark.parametrize(
    ("logic", "where", "marker"),
    [
        (emit(lambda args, params: {"type": "x"}), "entry", "inline:action"),
        (lambda args, params: True, "guard", "inline:guard"),
    ],
)
def test_python_logic_becomes_an_inline_marker_that_the_loader_refuses(logic, where, marker):
    state = (
        {"entry": logic} if where == "entry" else {"on": {"GO": {"target": "b", "guard": logic}}}
    )
    config = {"id": "x", "initial": "a", "states": {"a": state, "b": {}}}
    exported = json_config(config)
    found = (
        exported["states"]["a"]["entry"]
        if where == "entry"
        else (exported["states"]["a"]["on"]["GO"]["guard"])
    )
    assert found == marker
    with pytest.raises(Exception, match="inline"):
        Machine(exported)

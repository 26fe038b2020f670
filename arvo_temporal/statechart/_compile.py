"""Check an XState v5 JSON config and compile it into a :mod:`~._tree` of nodes.

Everything that can be wrong with a config is found here, before any event arrives, and reported
as :class:`~arvo_temporal.errors.InvalidMachineDefinition` with the config path
(``states.a.on.X[0].target``). Keys this interpreter does not implement are refused by name rather
than ignored, because ignoring them would change the machine's behaviour without a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from arvo_temporal.errors import InvalidMachineDefinition
from arvo_temporal.statechart._bind import Delay, Implementations
from arvo_temporal.statechart._exported import (
    INLINE_MARKER,
    check_not_definition_export,
    lost_inline_logic,
)
from arvo_temporal.statechart._tree import (
    ATOMIC,
    CANCEL,
    COMPOUND,
    FINAL,
    HISTORY,
    KIND_NAMES,
    PARALLEL,
    SCHEDULE,
    BoundAction,
    StateNode,
    Transition,
)

__all__ = ["CompiledConfig", "compile_config"]

_KINDS: Final = {name: kind for kind, name in enumerate(KIND_NAMES)}
_STATE_KEYS: Final = frozenset(
    {"id", "type", "initial", "states", "on", "entry", "exit", "always", "after", "onDone",
     "output", "description", "meta", "tags"}
)  # fmt: skip
_ROOT_KEYS: Final = frozenset({"context", "version", "types", "schemas"})
_HISTORY_KEYS: Final = frozenset({"id", "type", "history", "target", "description", "meta"})
_TRANSITION_KEYS: Final = frozenset(
    {"target", "guard", "actions", "reenter", "description", "meta"}
)
_UNSUPPORTED: Final = {
    "invoke": "invoked actors are not supported (Arvo machines call services by emitting events)",
    "route": "route transitions are not supported",
    "onError": "onError belongs to invoke, which is not supported",
    "activities": "XState v4 activities are not supported",
    "parallel": "XState v4 'parallel: true' is written type: 'parallel' in v5",
    "strict": "XState v4 'strict' is not supported",
    "predictableActionArguments": "an XState v4 option, not supported",
    "preserveActionOrder": "an XState v4 option, not supported",
    "cond": "XState v5 renamed 'cond' to 'guard'",
    "internal": "XState v4 'internal' is expressed with 'reenter' in v5",
    "in": "state-in guards ('in') are not supported",
    "delimiter": "custom state delimiters are not supported",
}
_INTEGER_MS: Final = re.compile(r"0|[1-9][0-9]*")
_JS_MAX_INDEX: Final = 2**32 - 2


@dataclass(slots=True)
class CompiledConfig:
    """The result of compiling a config: nodes in document order plus machine-level settings."""

    machine_id: str
    nodes: list[StateNode]
    id_map: dict[str, int]
    context: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None
    output: Any
    has_output: bool
    has_always: bool
    has_history: bool


def _fail(message: str, path: str) -> InvalidMachineDefinition:
    return InvalidMachineDefinition(message, path=path.lstrip("."))


def _check_keys(config: Mapping[str, Any], allowed: frozenset[str], path: str, what: str) -> None:
    for key in config:
        if key in allowed:
            continue
        reason = _UNSUPPORTED.get(key) if isinstance(key, str) else None
        if reason is None:
            reason = f"unknown {what} key; supported keys: {', '.join(sorted(allowed))}"
        raise _fail(f"unsupported key {key!r}: {reason}", f"{path}.{key}")


def _to_state_path(text: str) -> list[str]:
    """Split a state path on dots; a backslash escapes the next character (XState's rule)."""
    segments, current, i = [], "", 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current += text[i + 1]
            i += 2
            continue
        if char == ".":
            segments.append(current)
            current = ""
        else:
            current += char
        i += 1
    segments.append(current)
    return segments


class _Compiler:
    def __init__(self, config: Mapping[str, Any], impls: Implementations) -> None:
        self.impls = impls
        self.nodes: list[StateNode] = []
        self.id_map: dict[str, int] = {}
        self.configs: list[Mapping[str, Any]] = []
        machine_id = config.get("id", "(machine)")
        if not isinstance(machine_id, str) or not machine_id:
            raise _fail("the machine id must be a non-empty string", "id")
        self.machine_id = machine_id
        self.has_always = False

    # -- pass 1: the tree ------------------------------------------------------------------------

    def add(self, config: object, key: str, parent: int, path: str, keys: tuple[str, ...]) -> int:
        if not isinstance(config, Mapping):
            raise _fail(f"a state config must be an object, got {config!r}", path)
        is_root = parent < 0
        kind = self._kind(config, path, is_root)
        if kind == HISTORY:
            _check_keys(config, _HISTORY_KEYS, path, "history state")
        else:
            _check_keys(config, _STATE_KEYS | _ROOT_KEYS if is_root else _STATE_KEYS, path, "state")
        state_id = config.get("id") or ".".join((self.machine_id, *keys))
        if not isinstance(state_id, str):
            raise _fail("a state id must be a string", f"{path}.id")
        if state_id in self.id_map:
            other = self.nodes[self.id_map[state_id]].path or "the root"
            raise _fail(f"duplicate state id {state_id!r} (also used by {other})", f"{path}.id")
        index = len(self.nodes)
        ancestors = () if is_root else (parent, *self.nodes[parent].ancestors)
        node = StateNode(index, key, state_id, path.lstrip("."), parent, kind, 1 << index)
        node.ancestors = ancestors
        node.done_type = f"xstate.done.state.{state_id}"
        self.nodes.append(node)
        self.configs.append(config)
        self.id_map[state_id] = index
        states = config.get("states") or {}
        if not isinstance(states, Mapping):
            raise _fail("'states' must be an object", f"{path}.states")
        children: list[int] = []
        history: list[int] = []
        for child_key, child_config in states.items():
            child_path = f"{path}.states.{child_key}"
            if not isinstance(child_key, str) or not child_key or "." in child_key:
                raise _fail("state keys must be non-empty strings without '.'", child_path)
            child = self.add(child_config, child_key, index, child_path, (*keys, child_key))
            node.child_by_key[child_key] = child
            (history if self.nodes[child].kind == HISTORY else children).append(child)
        node.children, node.history_children = tuple(children), tuple(history)
        node.desc_mask = ((1 << len(self.nodes)) - 1) & ~((1 << (index + 1)) - 1)
        self._check_shape(node, config, path)
        return index

    @staticmethod
    def _kind(config: Mapping[str, Any], path: str, is_root: bool) -> int:
        declared = config.get("type")
        if declared is None:
            states = config.get("states")
            if isinstance(states, Mapping) and states:
                kind = COMPOUND
            else:
                kind = HISTORY if config.get("history") else ATOMIC
        elif declared not in _KINDS:
            raise _fail(
                f"unknown state type {declared!r}; use one of {list(KIND_NAMES)}", f"{path}.type"
            )
        else:
            kind = _KINDS[declared]
        if is_root and kind in (FINAL, HISTORY):
            raise _fail(f"the machine root cannot be a {KIND_NAMES[kind]} state", f"{path}.type")
        return kind

    def _check_shape(self, node: StateNode, config: Mapping[str, Any], path: str) -> None:
        kind, name = node.kind, KIND_NAMES[node.kind]
        if kind in (COMPOUND, PARALLEL) and not (node.children or node.history_children):
            raise _fail(f"a {name} state needs child states", f"{path}.states")
        if kind in (ATOMIC, FINAL, HISTORY) and config.get("states"):
            raise _fail(f"a {name} state cannot have child states", f"{path}.states")
        if kind == PARALLEL and not node.children:
            raise _fail("a parallel state needs at least one region", f"{path}.states")
        if kind == COMPOUND:
            initial = config.get("initial")
            if initial is None:
                first = next(iter(node.child_by_key))
                raise _fail(
                    f"a compound state needs an initial child; add initial: {first!r}",
                    f"{path}.initial",
                )
            child = node.child_by_key.get(initial) if isinstance(initial, str) else None
            if child is None:
                raise _fail(f"initial {initial!r} is not a child of this state", f"{path}.initial")
            if self.nodes[child].kind == HISTORY:
                raise _fail("initial cannot be a history state", f"{path}.initial")
            node.initial = child
        elif "initial" in config:
            raise _fail(f"a {name} state cannot have an initial child", f"{path}.initial")
        if "onDone" in config and kind not in (COMPOUND, PARALLEL):
            raise _fail(
                "onDone is only supported on compound and parallel states", f"{path}.onDone"
            )
        if "output" in config and kind != FINAL and node.parent >= 0:
            raise _fail(
                "output is only supported on final states and the machine root", f"{path}.output"
            )
        if kind == HISTORY:
            mode = config.get("history", "shallow")
            if mode not in ("shallow", "deep", True):
                raise _fail("history must be 'shallow' or 'deep'", f"{path}.history")
            node.deep_history = mode == "deep"
            if node.parent < 0:
                raise _fail("the machine root cannot be a history state", path)

    # -- pass 2: transitions, actions, timers ----------------------------------------------------

    def resolve(self, node: StateNode) -> None:
        config, path = self.configs[node.index], "." + node.path if node.path else ""
        if node.kind == HISTORY:
            self._history_default(node, config, path)
            return
        entry = self._actions(config, "entry", path)
        exit_ = self._actions(config, "exit", path)
        on: dict[str, tuple[Transition, ...]] = {}
        raw_on = config.get("on") or {}
        if not isinstance(raw_on, Mapping):
            raise _fail("'on' must be an object", f"{path}.on")
        for descriptor, value in raw_on.items():
            self._check_descriptor(descriptor, f"{path}.on.{descriptor}")
            on[descriptor] = self._transitions(node, descriptor, value, f"{path}.on.{descriptor}")
        if "onDone" in config:
            if node.done_type in on:
                raise _fail(
                    f"'on' already handles {node.done_type}, which onDone defines", f"{path}.onDone"
                )
            on[node.done_type] = self._transitions(
                node, node.done_type, config["onDone"], f"{path}.onDone"
            )
        timers_in, timers_out = [], []
        for event_type, delay, value, delay_path in self._after(node, config.get("after"), path):
            if event_type in on:
                raise _fail(f"'on' already handles {event_type}, which after defines", delay_path)
            on[event_type] = self._transitions(node, event_type, value, delay_path)
            timers_in.append(
                BoundAction(SCHEDULE, (event_type, delay), {}, f"schedule {event_type}")
            )
            timers_out.append(BoundAction(CANCEL, event_type, {}, f"cancel {event_type}"))
        node.entry, node.exit, node.on = entry + tuple(timers_in), exit_ + tuple(timers_out), on
        node.wildcards = tuple(
            sorted(
                ((d, ts) for d, ts in on.items() if d == "*" or d.endswith(".*")),
                key=lambda item: -len(item[0]),
            )
        )
        if "always" in config:
            self.has_always = True
            node.always = self._transitions(node, "", config["always"], f"{path}.always")
        if "output" in config and node.parent >= 0:
            self._output(node, config["output"], f"{path}.output")

    def _actions(self, config: Mapping[str, Any], key: str, path: str) -> tuple[BoundAction, ...]:
        if key not in config:
            return ()
        return self.impls.bind_actions(config[key], f"{path}.{key}")

    @staticmethod
    def _output(node: StateNode, output: object, path: str) -> None:
        if isinstance(output, str) and output.startswith(INLINE_MARKER):
            raise _fail(
                f"inline JavaScript output lost in export ({output!r}); give the final state a "
                "static JSON output or a Python callable (args) -> output",
                path,
            )
        node.has_output, node.output = True, output

    @staticmethod
    def _check_descriptor(descriptor: object, path: str) -> None:
        if not isinstance(descriptor, str) or not descriptor:
            raise _fail(
                "event descriptors must be non-empty strings (use 'always' for eventless)", path
            )
        star = descriptor.find("*")
        if star >= 0 and not (
            descriptor == "*" or (descriptor.endswith(".*") and star == len(descriptor) - 1)
        ):
            raise _fail(
                "a wildcard is only allowed as the whole descriptor ('*') or as its last token "
                "('prefix.*')",
                path,
            )

    def _transitions(
        self, node: StateNode, descriptor: str, value: object, path: str
    ) -> tuple[Transition, ...]:
        many = isinstance(value, Sequence) and not isinstance(value, str)
        items = cast("Sequence[object]", value) if many else (value,)
        out = []
        for i, item in enumerate(items):
            item_path = f"{path}[{i}]" if many else path
            if isinstance(item, str):
                item = {"target": item}
            if not isinstance(item, Mapping):
                raise _fail(
                    f"a transition must be a target string or an object, got {item!r}", item_path
                )
            _check_keys(item, _TRANSITION_KEYS, item_path, "transition")
            reenter = item.get("reenter", False)
            if not isinstance(reenter, bool):
                raise _fail("reenter must be true or false", f"{item_path}.reenter")
            targets = self._targets(node, item.get("target"), f"{item_path}.target")
            guard = (
                self.impls.bind_guard(item["guard"], f"{item_path}.guard")
                if "guard" in item
                else None
            )
            actions = (
                self.impls.bind_actions(item["actions"], f"{item_path}.actions")
                if "actions" in item
                else ()
            )
            out.append(Transition(node.index, targets, reenter, guard, actions, descriptor))
        return tuple(out)

    def _targets(self, node: StateNode, target: object, path: str) -> tuple[int, ...] | None:
        if target is None or target == "":
            return None
        many = isinstance(target, Sequence) and not isinstance(target, str)
        raw = cast("Sequence[object]", target) if many else (target,)
        if many and not raw:
            return None
        resolved = []
        for i, item in enumerate(raw):
            item_path = f"{path}[{i}]" if many else path
            if not isinstance(item, str) or not item:
                raise _fail(f"a target must be a non-empty string, got {item!r}", item_path)
            resolved.append(self._target(node, item, item_path))
        self._check_compatible(resolved, path)
        return tuple(resolved)

    def _target(self, node: StateNode, target: str, path: str) -> int:
        if target.startswith("#"):
            head, *rest = _to_state_path(target[1:])
            if head not in self.id_map:
                raise _fail(f"unknown target {target!r}: no state has id {head!r}", path)
            return self._walk(self.id_map[head], rest, target, path)
        if target.startswith("."):
            return self._walk(node.index, _to_state_path(target[1:]), target, path)
        if node.parent < 0:
            raise _fail(f"invalid target {target!r} from the root: did you mean '.{target}'?", path)
        return self._walk(node.parent, _to_state_path(target), target, path)

    def _walk(self, start: int, segments: list[str], target: str, path: str) -> int:
        current = start
        for segment in segments:
            if not segment:
                break
            child = self.nodes[current].child_by_key.get(segment)
            if child is None:
                where = self.nodes[current].id
                raise _fail(f"unknown target {target!r}: {where!r} has no child {segment!r}", path)
            current = child
        return current

    def _check_compatible(self, targets: list[int], path: str) -> None:
        for i, a in enumerate(targets):
            for b in targets[i + 1 :]:
                na, nb = self.nodes[a], self.nodes[b]
                if a == b or na.bit & self.nodes[b].desc_mask or nb.bit & na.desc_mask:
                    raise _fail(f"targets {na.id!r} and {nb.id!r} overlap", path)
                common = next(x for x in na.ancestors if nb.bit & self.nodes[x].desc_mask)
                if self.nodes[common].kind != PARALLEL:
                    raise _fail(
                        f"targets {na.id!r} and {nb.id!r} cannot be active together "
                        "(their closest common ancestor is not parallel)",
                        path,
                    )

    def _after(
        self, node: StateNode, after: object, path: str
    ) -> list[tuple[str, Delay, object, str]]:
        if after is None:
            return []
        if not isinstance(after, Mapping):
            raise _fail("'after' must be an object of delay → transition", f"{path}.after")
        numbered: list[tuple[int, str, object, str]] = []
        named: list[tuple[str, object, str]] = []
        for key, value in after.items():
            key_path = f"{path}.after.{key}"
            if isinstance(key, bool) or not isinstance(key, int | str):
                raise _fail("an after key is integer milliseconds or a delay name", key_path)
            if isinstance(key, int) or _INTEGER_MS.fullmatch(key):
                ms = int(key)
                if ms < 0:
                    raise _fail(f"a delay cannot be negative, got {ms}", key_path)
                numbered.append((ms, str(ms), value, key_path))
                continue
            try:
                number = float(key)
            except ValueError:
                named.append((key, value, key_path))
                continue
            problem = "negative" if number < 0 else "not a canonical integer number of milliseconds"
            raise _fail(f"invalid delay {key!r}: {problem}", key_path)
        # JavaScript orders integer-like keys numerically before the other keys, and XState
        # schedules the timers in that key order.
        numbered.sort(key=lambda item: item[0] if item[0] <= _JS_MAX_INDEX else _JS_MAX_INDEX + 1)
        out: list[tuple[str, Delay, object, str]] = []
        seen: set[str] = set()
        for ms, label, value, key_path in numbered:
            if label in seen:
                raise _fail(f"delay {label} is given twice", key_path)
            seen.add(label)
            out.append((f"xstate.after.{label}.{node.id}", ms, value, key_path))
        for name, value, key_path in named:
            out.append(
                (
                    f"xstate.after.{name}.{node.id}",
                    self.impls.delay(name, key_path),
                    value,
                    key_path,
                )
            )
        return out

    def _history_default(self, node: StateNode, config: Mapping[str, Any], path: str) -> None:
        parent = self.nodes[node.parent]
        target = config.get("target")
        if target is None:
            node.history_default = (parent.index,) if parent.kind == PARALLEL else (parent.initial,)
            return
        many = isinstance(target, Sequence) and not isinstance(target, str)
        raw: Sequence[object] = target if many else [target]
        defaults = []
        for i, item in enumerate(raw):
            item_path = f"{path}.target[{i}]" if many else f"{path}.target"
            if not isinstance(item, str) or not item:
                raise _fail("a history target must be a non-empty string", item_path)
            if item.startswith("#"):
                default = self._target(node, item, item_path)
            else:
                default = self._walk(parent.index, _to_state_path(item), item, item_path)
            if (
                self.nodes[default].kind == HISTORY
                or not self.nodes[default].bit & parent.desc_mask
            ):
                raise _fail(
                    "a history target must be a (non-history) state inside its parent", item_path
                )
            defaults.append(default)
        node.history_default = tuple(defaults)


def compile_config(
    config: Mapping[str, Any],
    impls: Implementations,
    *,
    context: object = None,
    output: object = None,
) -> CompiledConfig:
    """Check ``config`` and build its state tree.

    Args:
        config: the XState JSON config (Python callables allowed where logic goes).
        impls: the machine's named implementations.
        context: ``Machine(context=...)``, which may replace the config's ``context``.
        output: ``Machine(output=...)``, which may replace the config's ``output``.
    """
    if not isinstance(config, Mapping):
        raise InvalidMachineDefinition("a machine config must be an object")
    check_not_definition_export(config, "")
    compiler = _Compiler(config, impls)
    compiler.add(config, compiler.machine_id, -1, "", ())
    for node in compiler.nodes:
        compiler.resolve(node)
    machine_context = _machine_context(config, context)
    has_output = output is not None or "output" in config
    if output is not None and "output" in config:
        raise _fail("output is given both in the config and as Machine(output=...)", "output")
    if output is not None and not callable(output):
        raise _fail("Machine(output=...) must be a callable (context) -> output", "output")
    machine_output = output if output is not None else config.get("output")
    lost = lost_inline_logic(machine_output, "output", null_is_lost=False)
    if lost:
        raise _fail(lost, "output")
    return CompiledConfig(
        compiler.machine_id,
        compiler.nodes,
        compiler.id_map,
        machine_context,
        machine_output,
        has_output,
        compiler.has_always,
        any(node.kind == HISTORY for node in compiler.nodes),
    )


def _machine_context(
    config: Mapping[str, Any], context: object
) -> Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None:
    if context is not None and "context" in config:
        raise _fail("context is given both in the config and as Machine(context=...)", "context")
    value = context if context is not None else config.get("context")
    if value is None and "context" not in config:
        return None
    lost = lost_inline_logic(value, "context", null_is_lost=False)
    if lost:
        raise _fail(lost, "context")
    if isinstance(value, Mapping) or callable(value):
        return value
    raise _fail("context must be an object or a callable (input) -> dict", "context")

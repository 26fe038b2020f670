"""The macrostep: XState v5's selection, conflict resolution, exit/entry and run-to-completion.

One :class:`Step` is the working state of a single ``start`` or ``send``: the context, the active
states (a bit mask), history memory, pending timers, emitted events and the internal queue. It
follows XState 5.33.3's algorithm (itself the SCXML one) point by point, so its comments cite the
rules of ``docs/statecharts.md`` §3 rather than restate the code.

Deliberate differences from XState: an exception from an action or guard propagates unchanged
(XState wraps guard errors and turns failures into an ``error`` status); and eventless selection
starts every step from document order, which is what XState does after restoring a snapshot (a
long-lived XState actor would carry the entry order of earlier steps across events, visible only
when several parallel regions have enabled ``always`` transitions at once).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from arvo_temporal.statechart._args import ActionArgs, Context, Event
from arvo_temporal.statechart._snapshot import Timer
from arvo_temporal.statechart._tree import (
    ASSIGN,
    ATOMIC,
    COMPOUND,
    CUSTOM,
    EMIT,
    FINAL,
    HISTORY,
    NO_DOMAIN,
    PARALLEL,
    RAISE,
    SCHEDULE,
    BoundAction,
    MicrostepPlan,
    StateNode,
    Transition,
)

if TYPE_CHECKING:
    from arvo_temporal.statechart._machine import Machine

__all__ = ["Step", "domain_of"]

_EMPTY_HISTORY: Final[Mapping[str, tuple[str, ...]]] = {}
_PLAN_LIMIT: Final = 256
_UNPLANNED: Final[Any] = object()
_new_args: Final = tuple.__new__


def domain_of(nodes: Sequence[StateNode], transition: Transition, targets: Sequence[int]) -> int:
    """The transition domain (§3 point 5): the source when every target is the source or inside
    it and the transition does not re-enter, else the closest proper ancestor holding the source and
    all targets; ``NO_DOMAIN`` for a re-entering transition with none (everything is re-entered)."""
    source = transition.source
    inside = nodes[source].desc_mask
    if not transition.reenter and all(t == source or nodes[t].bit & inside for t in targets):
        return source
    states = [*targets, source]
    for ancestor in nodes[states[0]].ancestors:
        scope = nodes[ancestor].desc_mask
        if all(nodes[s].bit & scope for s in states[1:]):
            return ancestor
    return NO_DOMAIN if transition.reenter else 0


def _until(node: StateNode, stop: int) -> list[int]:
    """Proper ancestors of ``node`` nearest first, up to (not including) ``stop``."""
    out = []
    for ancestor in node.ancestors:
        if ancestor == stop:
            break
        out.append(ancestor)
    return out


class Step:
    """The mutable working state of one ``start`` / ``send``; discarded afterwards."""

    __slots__ = (
        "assigns",
        "config",
        "context",
        "done",
        "emitted",
        "history",
        "machine",
        "nodes",
        "now",
        "order",
        "output",
        "queue",
        "timers",
    )

    def __init__(
        self,
        machine: Machine,
        context: Context,
        config: int,
        history: Mapping[str, tuple[str, ...]],
        timers: Sequence[Timer],
        now_ms: float,
    ) -> None:
        self.machine = machine
        self.nodes = machine.nodes
        self.context = context
        self.config = config
        # Order of the active atomic states, as XState keeps it: document order after a restore,
        # then states entered later go last. Only eventless selection depends on it.
        self.order = machine.layout.atomic_order(config) if machine.has_always else []
        self.history = history
        self.timers = timers
        self.emitted: list[Event] = []
        self.queue: deque[Event] = deque()
        self.now = now_ms
        self.done = False
        self.output: Any = None
        self.assigns = 0

    # -- macrostep -------------------------------------------------------------------------------

    def begin(self, init_event: Event) -> None:
        """Enter the initial configuration, then run to completion (§3 points 6, 8, 9)."""
        self.microstep([self.machine.initial_transition], init_event, initial=True)
        self.settle(init_event)

    def handle(self, event: Event) -> None:
        """Process one external event to completion."""
        self.microstep(self.select(event), event)
        if self.queue or self.machine.has_always:  # otherwise settling has nothing to do
            self.settle(event)

    def settle(self, event: Event) -> None:
        """Eventless transitions until none is enabled, then one internal event, and again
        (§3 points 8 and 9); stops as soon as the machine is done, dropping queued events."""
        last = event
        check_eventless = True
        has_always = self.machine.has_always
        while not self.done:
            if has_always and check_eventless:
                enabled = self.select_eventless(last)
                if enabled:
                    # Re-check only if the microstep changed something, so a targetless no-op
                    # `always` cannot loop.
                    check_eventless = self.microstep(enabled, last)
                    continue
            if not self.queue:
                break
            last = self.queue.popleft()
            self.microstep(self.select(last), last)
            check_eventless = True

    # -- selection -------------------------------------------------------------------------------

    def select(self, event: Event) -> list[Transition]:
        """Enabled transitions for ``event``: deepest states first, a parent only as a fallback,
        every region of a parallel state (§3 points 1 and 2)."""
        event_type = event["type"]
        machine = self.machine
        unguarded = machine.unguarded_types.get(event_type)
        if unguarded is None:
            unguarded = machine.unguarded(event_type)
        if not unguarded:
            return self._select(0, event_type, event) or []
        # Without guards, selection depends only on the active states and the event type.
        key = (self.config, event_type)
        found = machine.selections.get(key)
        if found is None:
            found = self._select(0, event_type, event) or []
            machine.remember_selection(key, found)
        return found

    def _select(self, index: int, event_type: str, event: Event) -> list[Transition] | None:
        nodes = self.nodes
        node = nodes[index]
        if node.kind == COMPOUND:
            config = self.config
            for child in node.children:
                if config & nodes[child].bit:
                    found = self._select(child, event_type, event)
                    if found:
                        return found
                    break
        elif node.kind == PARALLEL:
            collected: list[Transition] = []
            for child in node.children:
                found = self._select(child, event_type, event)
                if found:
                    collected.extend(found)
            if collected:
                return collected
        candidates = (
            self.machine.candidates(node, event_type) if node.wildcards else node.on.get(event_type)
        )
        if candidates:
            for transition in candidates:
                # Guards see the context as it is now; nothing changes it during selection, so
                # the arguments are built only for a transition that has a guard.
                guard = transition.guard
                if guard is None or guard(ActionArgs(self.context, event)):
                    return [transition]
        return None

    def select_eventless(self, event: Event) -> list[Transition]:
        """For each active atomic state, the first enabled ``always`` transition found walking up
        from it; guards see the last event processed (§3 point 8)."""
        args = ActionArgs(self.context, event)
        nodes = self.nodes
        enabled: list[Transition] = []
        for atomic in self.order:
            for index in nodes[atomic].always_chain:
                hit = None
                for transition in nodes[index].always:
                    if transition.guard is None or transition.guard(args):
                        hit = transition
                        break
                if hit is not None:
                    if not any(t is hit for t in enabled):
                        enabled.append(hit)
                    break
        if len(enabled) > 1:
            return self.remove_conflicts(enabled)
        return enabled

    def remove_conflicts(self, transitions: list[Transition]) -> list[Transition]:
        """Drop transitions whose exit sets overlap an earlier one's, unless their source lies
        inside the earlier source, which then loses instead (§3 point 3)."""
        nodes = self.nodes
        kept: list[Transition] = []
        exits: list[int] = []
        for candidate in transitions:
            exit_set = self.exit_set(candidate, self.history)
            inside = nodes[candidate.source].bit
            beaten, losers = False, []
            for i, other in enumerate(kept):
                if exit_set & exits[i]:
                    if inside & nodes[other.source].desc_mask:
                        losers.append(i)
                    else:
                        beaten = True
                        break
            if beaten:
                continue
            for i in reversed(losers):
                del kept[i]
                del exits[i]
            if not any(t is candidate for t in kept):
                kept.append(candidate)
                exits.append(exit_set)
        return kept

    # -- exit and entry sets ---------------------------------------------------------------------

    def _domain(self, transition: Transition, history: Mapping[str, tuple[str, ...]]) -> int:
        if transition.static:
            return transition.domain
        return domain_of(self.nodes, transition, self.effective_targets(transition, history))

    def exit_set(self, transition: Transition, history: Mapping[str, tuple[str, ...]]) -> int:
        """Active states the transition exits: everything below its domain (§3 point 5)."""
        if not transition.targets:
            return 0
        if transition.static:
            return self.config & transition.exit_scope
        domain = self._domain(transition, history)
        if domain == NO_DOMAIN:
            return self.config
        node = self.nodes[domain]
        exits = self.config & node.desc_mask
        if transition.reenter and transition.source == domain:
            exits |= node.bit
        return exits

    def effective_targets(
        self, transition: Transition, history: Mapping[str, tuple[str, ...]]
    ) -> list[int]:
        """Targets with history states replaced by what they remember (or their default)."""
        return self._expand(transition.targets or (), history)

    def _expand(self, targets: Sequence[int], history: Mapping[str, tuple[str, ...]]) -> list[int]:
        out: list[int] = []
        for target in targets:
            node = self.nodes[target]
            if node.kind == HISTORY:
                found = self._remembered(node, history) or self._expand(
                    node.history_default, history
                )
            else:
                found = [target]
            out.extend(i for i in found if i not in out)
        return out

    def _remembered(
        self, node: StateNode, history: Mapping[str, tuple[str, ...]]
    ) -> list[int] | None:
        """What a history state remembers, as node indexes (None if it remembers nothing)."""
        remembered = history.get(node.id)
        return [self.machine.index_of(i) for i in remembered] if remembered else None

    def entry_states(self, transitions: list[Transition]) -> tuple[int, ...]:
        """States to enter, in document order (§3 point 6)."""
        layout = self.machine.layout
        if len(transitions) == 1 and transitions[0].static:
            transition = transitions[0]
            cached = transition.entry_cache
            if cached is None:
                # A static transition never reaches a history state, so its entry set does not
                # depend on history memory and can be computed once.
                cached = layout.ascending(self._entry_mask(transitions, _EMPTY_HISTORY))
                transition.entry_cache = cached
            return cached
        return layout.ascending(self._entry_mask(transitions, self.history))

    def _entry_mask(
        self, transitions: list[Transition], history: Mapping[str, tuple[str, ...]]
    ) -> int:
        nodes = self.nodes
        enter = 0
        for transition in transitions:
            if not transition.targets:
                continue
            source = transition.source
            domain = self._domain(transition, history)
            for target in transition.targets:
                if nodes[target].kind != HISTORY and (
                    source != target or source != domain or transition.reenter
                ):
                    enter |= nodes[target].bit
                enter = self._add_descendants(target, history, enter)
            # A re-entering root transition re-enters the root itself too.
            reentry = NO_DOMAIN if source == 0 and transition.reenter else domain
            for target in self.effective_targets(transition, history):
                ancestors = _until(nodes[target], domain)
                if domain != NO_DOMAIN and nodes[domain].kind == PARALLEL:
                    ancestors.append(domain)
                enter = self._add_ancestors(ancestors, history, enter, reentry)
        return enter

    def _add_descendants(
        self, index: int, history: Mapping[str, tuple[str, ...]], enter: int
    ) -> int:
        nodes = self.nodes
        node = nodes[index]
        if node.kind == HISTORY:
            states = self._remembered(node, history) or list(node.history_default)
            for state in states:
                enter |= nodes[state].bit
                enter = self._add_descendants(state, history, enter)
            for state in states:
                enter = self._add_ancestors(
                    _until(nodes[state], node.parent), history, enter, NO_DOMAIN
                )
        elif node.kind == COMPOUND:
            enter |= nodes[node.initial].bit
            enter = self._add_descendants(node.initial, history, enter)
        elif node.kind == PARALLEL:
            enter = self._fill_regions(node, history, enter)
        return enter

    def _fill_regions(
        self, node: StateNode, history: Mapping[str, tuple[str, ...]], enter: int
    ) -> int:
        """Enter every region of a parallel state that nothing entered yet (§3 point 6)."""
        nodes = self.nodes
        for region in node.children:
            if not enter & nodes[region].desc_mask:
                enter |= nodes[region].bit
                enter = self._add_descendants(region, history, enter)
        return enter

    def _add_ancestors(
        self,
        ancestors: list[int],
        history: Mapping[str, tuple[str, ...]],
        enter: int,
        reentry: int,
    ) -> int:
        nodes = self.nodes
        for ancestor in ancestors:
            node = nodes[ancestor]
            if reentry == NO_DOMAIN or node.bit & nodes[reentry].desc_mask:
                enter |= node.bit
            if node.kind == PARALLEL:
                enter = self._fill_regions(node, history, enter)
        return enter

    # -- microstep -------------------------------------------------------------------------------

    def microstep(
        self, transitions: list[Transition], event: Event, *, initial: bool = False
    ) -> bool:
        """Take the transitions together (§3 point 4); True if anything changed (context assigned,
        active states or history memory), which is what makes eventless transitions re-checked."""
        if not transitions:
            return False
        if len(transitions) == 1 and not initial and not self.machine.has_history:
            transition = transitions[0]
            plan = transition.plans.get(self.config, _UNPLANNED)
            if plan is _UNPLANNED:
                plan = self._plan(transition)
            if plan is not None:
                return self._replay(plan, transition, event)
        nodes = self.nodes
        layout = self.machine.layout
        if len(transitions) > 1:
            transitions = self.remove_conflicts(transitions)
        config_before, assigns_before = self.config, self.assigns
        history_changed = False
        exits = 0
        if not initial:
            for transition in transitions:
                exits |= self.exit_set(transition, self.history)
            if exits:
                exiting = layout.descending(exits)
                if self.machine.has_history:
                    history_changed = self._remember_history(exiting)
                for index in exiting:
                    node = nodes[index]
                    if node.exit:
                        self.run(node.exit, event)
                    self.config &= ~node.bit
        for transition in transitions:
            if transition.actions:
                self.run(transition.actions, event)
        entered: list[int] = []
        completed: set[int] = set()
        for index in self.entry_states(transitions):
            node = nodes[index]
            if not self.config & node.bit:
                self.config |= node.bit
                if node.kind in (ATOMIC, FINAL):
                    entered.append(index)
            if node.entry:
                self.run(node.entry, event)
            if node.kind == FINAL:
                self._reach_final(node, event, completed)
        if self.done:
            # §3 point 11: every state still active runs its exit actions, deepest last-entered
            # first; the output was computed before them.
            for index in layout.descending(self.config):
                if nodes[index].exit:
                    self.run(nodes[index].exit, event)
        changed = self.config != config_before or history_changed
        if changed and self.machine.has_always:
            self.order = [a for a in self.order if not exits & nodes[a].bit] + entered
        return changed or self.assigns != assigns_before

    def _plan(self, transition: Transition) -> MicrostepPlan | None:
        """Work out (and keep) the plan of a transition taken alone from the current
        configuration; None when it is not static or enters a final state (completion depends on
        more than the configuration). Plans are kept per transition and configuration, a bounded
        number of each; ``microstep`` reads them back."""
        if not transition.static:
            return None
        plans = transition.plans
        config = self.config
        plan = self._make_plan(transition)
        if len(plans) >= _PLAN_LIMIT:
            plans.clear()
        plans[config] = plan
        return plan

    def _make_plan(self, transition: Transition) -> MicrostepPlan | None:
        """What the general path of ``microstep`` does to the configuration, step by step."""
        nodes = self.nodes
        config = self.config
        exits = config & transition.exit_scope if transition.targets else 0
        exiting = self.machine.layout.descending(exits) if exits else ()
        after_exit = config & ~exits
        entering = self.entry_states([transition])
        if any(nodes[index].kind == FINAL for index in entering):
            return None
        after_entry = after_exit
        entered: list[int] = []
        for index in entering:
            node = nodes[index]
            if not after_entry & node.bit:
                after_entry |= node.bit
                if node.kind == ATOMIC:
                    entered.append(index)
        return MicrostepPlan(
            exit_actions=tuple(nodes[i].exit for i in exiting if nodes[i].exit),
            after_exit=after_exit,
            entry_actions=tuple(nodes[i].entry for i in entering if nodes[i].entry),
            after_entry=after_entry,
            exits=exits,
            entered=tuple(entered),
        )

    def _replay(self, plan: MicrostepPlan, transition: Transition, event: Event) -> bool:
        """``microstep`` for one planned transition: the same actions in the same order, and the
        same configurations between them."""
        config_before, assigns_before = self.config, self.assigns
        for actions in plan.exit_actions:
            self.run(actions, event)
        self.config = plan.after_exit
        if transition.actions:
            self.run(transition.actions, event)
        for actions in plan.entry_actions:
            self.run(actions, event)
        self.config = plan.after_entry
        changed = plan.after_entry != config_before
        if changed and self.machine.has_always:
            nodes = self.nodes
            exits = plan.exits
            self.order = [a for a in self.order if not exits & nodes[a].bit] + list(plan.entered)
        return changed or self.assigns != assigns_before

    def _remember_history(self, exiting: tuple[int, ...]) -> bool:
        """Record what each exited state's history children remember, before anything is exited
        (a new memory object, even if equal, counts as a change, as in XState)."""
        nodes = self.nodes
        updated: dict[str, tuple[str, ...]] | None = None
        for index in exiting:
            node = nodes[index]
            if not node.history_children:
                continue
            if updated is None:
                updated = dict(self.history)
            active = self.machine.layout.ascending(self.config)
            for history_index in node.history_children:
                keeper = nodes[history_index]
                if keeper.deep_history:
                    members = [
                        i
                        for i in active
                        if nodes[i].kind in (ATOMIC, FINAL) and nodes[i].bit & node.desc_mask
                    ]
                else:
                    members = [i for i in active if nodes[i].parent == index]
                updated[keeper.id] = tuple(nodes[i].id for i in members)
        if updated is None:
            return False
        self.history = updated
        return True

    def _reach_final(self, node: StateNode, event: Event, completed: set[int]) -> None:
        """§3 points 10 and 11: queue done events for the parent and completed parallel
        ancestors; reaching a final state of the root (or of root-level regions) ends the machine.
        """
        nodes = self.nodes
        parent = nodes[node.parent]
        marker = parent.index if parent.kind == PARALLEL else parent.parent
        if parent.kind == COMPOUND:
            done_event: dict[str, Any] = {"type": parent.done_type}
            if node.has_output:
                done_event["output"] = self._state_output(node, event)
            self.queue.append(done_event)
        while (
            marker >= 0
            and nodes[marker].kind == PARALLEL
            and marker not in completed
            and self._in_final(marker)
        ):
            completed.add(marker)
            self.queue.append({"type": nodes[marker].done_type})
            marker = nodes[marker].parent
        if marker >= 0:
            return
        self.done = True
        self.output = self.machine.machine_output(self.context)

    def _in_final(self, index: int) -> bool:
        nodes = self.nodes
        node = nodes[index]
        if node.kind == COMPOUND:
            return any(nodes[c].kind == FINAL and self.config & nodes[c].bit for c in node.children)
        if node.kind == PARALLEL:
            return all(self._in_final(c) for c in node.children)
        return node.kind == FINAL

    def _state_output(self, node: StateNode, event: Event) -> Any:
        output = node.output
        return output(ActionArgs(self.context, event)) if callable(output) else output

    # -- actions ---------------------------------------------------------------------------------

    def run(self, actions: Sequence[BoundAction], event: Event) -> None:
        """Run actions in order; ``assign`` takes effect at once (§3 point 7). Exceptions from user
        code propagate unchanged."""
        for action in actions:
            kind = action.kind
            if kind == ASSIGN:
                context = self.context
                # ActionArgs(context, event) without the named tuple's Python-level __new__.
                args = _new_args(ActionArgs, (context, event))
                self.context = action.impl.apply(context, args, action.params)
                self.assigns += 1
            elif kind == EMIT:
                self.emitted.append(
                    action.impl.event(ActionArgs(self.context, event), action.params)
                )
            elif kind == RAISE:
                self.queue.append(action.impl.event(ActionArgs(self.context, event), action.params))
            elif kind == CUSTOM:
                more = action.impl(ActionArgs(self.context, event), action.params)
                if more is not None:
                    where = f"(actions returned by {action.label})"
                    self.run(self.machine.impls.bind_actions(more, where), event)
            elif kind == SCHEDULE:
                self._schedule(action.impl, event)
            else:
                self._cancel(action.impl)

    def _schedule(self, spec: tuple[str, Any], event: Event) -> None:
        timer_id, delay = spec
        if callable(delay):
            delay = delay(ActionArgs(self.context, event))
            if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
                raise ValueError(
                    f"delay for {timer_id} must be a non-negative number, got {delay!r}"
                )
        timers = [t for t in self.timers if t.id != timer_id]
        timers.append(Timer(timer_id, delay, self.now + delay, {"type": timer_id}))
        self.timers = timers

    def _cancel(self, timer_id: str) -> None:
        if any(t.id == timer_id for t in self.timers):
            self.timers = [t for t in self.timers if t.id != timer_id]

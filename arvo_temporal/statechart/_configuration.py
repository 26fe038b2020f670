"""Translate between active-state bit masks and XState state values, with bounded caches.

A snapshot stores only the state value; every ``send`` turns it back into the set of active states
and every step turns the new set into a value. Machines cycle through few configurations, so both
directions are memoised per machine (deterministically: caches only speed things up).
"""

from __future__ import annotations

from typing import Any, Final

from arvo_temporal.statechart._args import StateValue
from arvo_temporal.statechart._tree import (
    ATOMIC,
    COMPOUND,
    FINAL,
    HISTORY,
    PARALLEL,
    StateNode,
    bits_ascending,
)

__all__ = ["Layout"]

_CACHE_LIMIT: Final = 4096


class Layout:
    """Document-order helpers for one machine's nodes."""

    __slots__ = ("_ascending", "_descending", "machine_id", "masks", "nodes", "values")

    def __init__(self, nodes: list[StateNode], machine_id: str) -> None:
        self.nodes = nodes
        self.machine_id = machine_id
        self._ascending: dict[int, tuple[int, ...]] = {}
        self._descending: dict[int, tuple[int, ...]] = {}
        # Read directly by ``send`` (one dict lookup per event instead of a method call);
        # filled by ``value_of`` and ``mask_of``.
        self.values: dict[int, StateValue] = {}
        self.masks: dict[str, int] = {}

    def ascending(self, mask: int) -> tuple[int, ...]:
        """States of ``mask`` in document order."""
        found = self._ascending.get(mask)
        if found is None:
            found = bits_ascending(mask)
            _remember(self._ascending, mask, found)
        return found

    def descending(self, mask: int) -> tuple[int, ...]:
        """States of ``mask`` in reverse document order (exit order)."""
        found = self._descending.get(mask)
        if found is None:
            found = bits_ascending(mask)[::-1]
            _remember(self._descending, mask, found)
        return found

    def atomic_order(self, mask: int) -> list[int]:
        """Active atomic states in document order: XState's order after restoring a snapshot."""
        nodes = self.nodes
        return [i for i in self.ascending(mask) if nodes[i].kind in (ATOMIC, FINAL)]

    # -- mask → value ----------------------------------------------------------------------------

    def value_of(self, mask: int) -> StateValue:
        """The state value of a configuration (shared; callers must not mutate it)."""
        found = self.values.get(mask)
        if found is None:
            found = self._value(0, mask)
            _remember(self.values, mask, found)
        return found

    def _value(self, index: int, mask: int) -> StateValue:
        nodes = self.nodes
        node = nodes[index]
        if node.kind == COMPOUND:
            for child in node.children:
                child_node = nodes[child]
                if mask & child_node.bit:
                    if child_node.kind in (ATOMIC, FINAL):
                        return child_node.key
                    return {child_node.key: self._value(child, mask)}
            return {}
        if node.kind == PARALLEL:
            return {
                nodes[child].key: self._value(child, mask)
                for child in node.children
                if mask & nodes[child].bit
            }
        return {}

    # -- value → mask ----------------------------------------------------------------------------

    def mask_of(self, value: StateValue) -> int:
        """The active states of a (possibly partial) state value, completed with initial states.

        Raises:
            ValueError: the value names states this machine does not have.
        """
        if isinstance(value, str):
            found = self.masks.get(value)
            if found is None:
                found = self._parse(0, value)
                _remember(self.masks, value, found)
            return found
        return self._parse(0, value)

    def _parse(self, index: int, value: Any) -> int:
        node = self.nodes[index]
        mask = node.bit
        if isinstance(value, str):
            mask |= self._complete(self._child(node, value))
        elif isinstance(value, dict):
            if node.kind == COMPOUND and len(value) > 1:
                raise self._bad(f"{node.id!r} is not parallel but the value names {sorted(value)}")
            for key, sub in value.items():
                mask |= self._parse(self._child(node, key), sub)
        else:
            raise self._bad(f"{value!r} is not a state value")
        if node.kind == COMPOUND and not mask & node.desc_mask:
            mask |= self._complete(node.initial)
        elif node.kind == PARALLEL:
            for region in node.children:
                if not mask & self.nodes[region].bit:
                    mask |= self._complete(region)
        return mask

    def _child(self, node: StateNode, key: object) -> int:
        child = node.child_by_key.get(key) if isinstance(key, str) else None
        if child is None or self.nodes[child].kind == HISTORY:
            raise self._bad(f"{node.id!r} has no child state {key!r}")
        return child

    def _complete(self, index: int) -> int:
        node = self.nodes[index]
        mask = node.bit
        if node.kind == COMPOUND:
            mask |= self._complete(node.initial)
        elif node.kind == PARALLEL:
            for region in node.children:
                mask |= self._complete(region)
        return mask

    def _bad(self, detail: str) -> ValueError:
        return ValueError(f"snapshot value does not fit machine {self.machine_id!r}: {detail}")


def _remember(cache: dict[Any, Any], key: object, value: object) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value

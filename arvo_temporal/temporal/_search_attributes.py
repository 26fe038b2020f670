"""The custom search attributes arvo_temporal puts on every machine workflow.

Search attributes are what makes executions findable in the Temporal UI and through
``client.list_workflows("ArvoOrchestrator='arvo.orc.adder' AND ArvoStatus='active'")``. Temporal
refuses to start or upsert a workflow that uses an attribute the namespace does not know, so the
same names must be registered everywhere the workflow runs: on the embedded dev server
(``--search-attribute Name=Keyword``, see :mod:`arvo_temporal.temporal._devserver`), on a real
cluster (:func:`register_search_attributes`, or the ``temporal operator search-attribute create``
commands in ``docker-compose.yml``), and in tests. Keeping the list here, as typed
``SearchAttributeKey``s, gives every one of those places a single source of truth.

All are ``Keyword`` or ``KeywordList`` (exact-match, not tokenised): they hold identifiers, not
prose. Values are stored unencrypted by Temporal, so none of them may carry personal data — the
initiator is the *source* of the initiating event (a service name), never a user; states and
domains are names from the machine's definition.

``ArvoRoot`` and ``ArvoParent`` make the orchestration tree searchable: a child execution is
started by its parent's dispatch activity, not as a Temporal child workflow (its parent may
finish first, and Arvo's subjects, not Temporal, say who answers whom), so the tree is kept in
search attributes (``ArvoRoot = '<root workflow id>'`` lists a whole tree in one query) and in
the memo and static details, which link the parent in the UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import ConfigViolation

__all__ = [
    "ARVO_EXECUTION_UNITS",
    "ARVO_INITIATOR",
    "ARVO_ORCHESTRATOR",
    "ARVO_PARENT",
    "ARVO_ROOT",
    "ARVO_SEARCH_ATTRIBUTES",
    "ARVO_STATE",
    "ARVO_STATUS",
    "ARVO_TASK_DOMAINS",
    "ARVO_VERSION",
    "register_search_attributes",
    "search_attribute_definitions",
]

ARVO_ORCHESTRATOR: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoOrchestrator")
"""The machine's orchestrator name, the subject's ``orchestrator`` (e.g. ``arvo.orc.adder``)."""

ARVO_VERSION: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoVersion")
"""The machine version the execution runs (e.g. ``1.0.0``); versions live side by side."""

ARVO_STATUS: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoStatus")
"""The Arvo execution status (``active``, ``done``, ``failed``, ``cancelled`` …), upserted only
when it changes because every upsert costs a history event."""

ARVO_INITIATOR: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoInitiator")
"""The subject's ``initiator``: the source that started the execution (a service, never a user)."""

ARVO_STATE: SearchAttributeKey[Sequence[str]] = SearchAttributeKey.for_keyword_list("ArvoState")
"""The active states as dotted paths, ancestors included (``work``, ``work.a``), so
``ArvoState = 'work'`` finds executions anywhere inside ``work``; upserted only on change."""

ARVO_TASK_DOMAINS: SearchAttributeKey[Sequence[str]] = SearchAttributeKey.for_keyword_list(
    "ArvoTaskDomains"
)
"""The domains (``external`` …) of requests that wait for a reply from a person or another
system; unset when none waits (``arvo-temporal tasks`` searches it)."""

ARVO_ROOT: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoRoot")
"""The workflow id of the root of the execution's orchestration tree (its own for a root)."""

ARVO_PARENT: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("ArvoParent")
"""The workflow id of the parent execution (the init's ``parentSubject$$``); unset for a root."""

ARVO_EXECUTION_UNITS: SearchAttributeKey[float] = SearchAttributeKey.for_float(
    "ArvoExecutionUnits"
)
"""Arvo's cost figure summed over the execution's consumed and emitted events; it rides along
with the other attributes' upserts (it would cost a history event per step on its own), so it is
exact once the execution ends and at each change of status or state before."""

ARVO_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[Any], ...] = (
    ARVO_ORCHESTRATOR,
    ARVO_VERSION,
    ARVO_STATUS,
    ARVO_INITIATOR,
    ARVO_STATE,
    ARVO_TASK_DOMAINS,
    ARVO_ROOT,
    ARVO_PARENT,
    ARVO_EXECUTION_UNITS,
)
"""Every custom search attribute the product uses, in registration order."""

# The names the `temporal` CLI accepts for `--search-attribute` and `--type`. The SDK keeps its own
# copy private, so the mapping is spelled out here rather than reaching into `temporalio` internals.
_CLI_TYPE_NAMES: dict[SearchAttributeIndexedValueType, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def search_attribute_definitions(
    keys: Iterable[SearchAttributeKey[Any]] = ARVO_SEARCH_ATTRIBUTES,
) -> list[tuple[str, str]]:
    """Return ``(name, type)`` pairs, type spelled as Temporal's tooling spells it (``Keyword``).

    This is the form registration needs everywhere outside Python (CLI flags, compose commands,
    documentation), so it is derived from the typed keys instead of being written out again.

    Args:
        keys: The attributes to describe; the product's own by default.
    """
    return [(key.name, _CLI_TYPE_NAMES[key.indexed_value_type]) for key in keys]


async def register_search_attributes(
    client: Client,
    namespace: str = "default",
    *,
    keys: Sequence[SearchAttributeKey[Any]] = ARVO_SEARCH_ATTRIBUTES,
) -> list[str]:
    """Register ``keys`` on a running cluster through the operator service; safe to repeat.

    Workers and deploy scripts call this at start-up, so it must be idempotent: attributes that
    already exist with the right type are left alone. The server itself silently ignores a
    re-registration with a *different* type, which would leave workflows failing later with a
    confusing "invalid search attribute value"; this function checks the types first and fails
    immediately instead.

    Args:
        client: A connected client (any namespace; ``namespace`` chooses the target).
        namespace: The namespace to register the attributes on (SQL visibility keeps them per
            namespace).
        keys: The attributes to register; the product's own by default.

    Returns:
        The names that were newly added (empty when everything was already registered).

    Raises:
        ConfigViolation: an attribute with one of these names exists with another type.
        temporalio.service.RPCError: the cluster refused the request for another reason
            (unknown namespace, permission denied, unreachable).
    """
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    wanted = {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in keys}
    conflicts = {
        name: _type_name(existing.custom_attributes[name])
        for name, value_type in wanted.items()
        if name in existing.custom_attributes and existing.custom_attributes[name] != value_type
    }
    if conflicts:
        described = ", ".join(
            f"{name} is {current}, expected {_type_name(wanted[name])}"
            for name, current in sorted(conflicts.items())
        )
        raise ConfigViolation(
            f"search attributes in namespace {namespace!r} have the wrong type: {described}",
            metadata={"namespace": namespace, "conflicts": conflicts},
        )
    missing = {
        name: value_type
        for name, value_type in wanted.items()
        if name not in existing.custom_attributes
    }
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    except RPCError as error:
        # Another worker registering the same attributes at the same moment is not a failure.
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
    return list(missing)


def _type_name(value_type: int) -> str:
    """``Keyword`` for the wire enum's 2, in the spelling users type; the enum name otherwise."""
    try:
        return _CLI_TYPE_NAMES[SearchAttributeIndexedValueType(value_type)]
    except ValueError:
        return IndexedValueType.Name(IndexedValueType.ValueType(value_type))

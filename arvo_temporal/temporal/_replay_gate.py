"""The replay gate: replay recent histories of a cluster against the code at hand, before it
takes over running executions.

``ArvoMachineWorkflow`` auto-upgrades: when a new Worker Deployment version becomes current,
every running execution continues on the new code at its next workflow task. That is safe
exactly when the new code reproduces what each execution already recorded. The gate checks it:
it lists Arvo executions with a visibility query, downloads their histories and replays them
through ``ArvoPlugin(app)``, one replayer for all of them, stopping at the first that fails::

    report = await replay_recent(client, app=app, query="ExecutionStatus='Running'", limit=500)
    if report.failure is not None:
        raise SystemExit(f"{report.failure.workflow_id} does not replay")

Machine changes that are not replay-safe belong in a new machine version (new subjects); the
gate is what catches one that slipped into an existing version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._plugin import ArvoPlugin
from arvo_temporal.temporal._replay import ReplayFailureKind, classify_replay_failure
from arvo_temporal.temporal._workflow import WORKFLOW_NAMES

__all__ = ["ReplayFailure", "ReplayGateReport", "gate_query", "replay_recent"]


@dataclass(frozen=True)
class ReplayFailure:
    """The first execution whose history the code at hand does not reproduce.

    Attributes:
        workflow_id: the execution's workflow id (``<orchestrator>/<execution id>/<hash>``).
        run_id: the run whose history failed.
        kind: ``nondeterminism`` when the code produced other commands than the history
            records; ``failure`` when a workflow task failed for another reason.
        message: the SDK's explanation.
    """

    workflow_id: str
    run_id: str
    kind: ReplayFailureKind
    message: str


@dataclass(frozen=True)
class ReplayGateReport:
    """What the gate did.

    Attributes:
        query: the visibility query that chose the executions.
        replayed: how many histories were replayed (the failing one included).
        failure: the first failure, or ``None`` when every history replayed.
    """

    query: str
    replayed: int
    failure: ReplayFailure | None

    @property
    def passed(self) -> bool:
        """Whether every history replayed."""
        return self.failure is None


def gate_query(query: str | None = None) -> str:
    """The visibility query of the gate: Arvo executions only, narrowed by ``query``.

    Other workflow types may share the namespace; replaying them against an Arvo app would fail
    for reasons that say nothing about the change being checked.
    """
    base = "WorkflowType IN (" + ", ".join(f"'{name}'" for name in WORKFLOW_NAMES) + ")"
    return f"{base} AND ({query})" if query and query.strip() else base


async def replay_recent(
    client: Client,
    *,
    app: ArvoApp,
    query: str | None = None,
    limit: int = 100,
    data_converter: DataConverter | None = None,
) -> ReplayGateReport:
    """Replay the newest ``limit`` Arvo executions matching ``query`` until one fails.

    Args:
        client: a client of the cluster to check (any data converter: histories are fetched
            as stored and decoded by the replayer).
        app: the app as it is about to be deployed.
        query: a visibility query narrowing the executions, e.g. ``ExecutionStatus='Running'``.
        limit: at most this many executions (visibility lists newest first).
        data_converter: the converter the histories were written with, with its codec.

    Returns:
        How many histories were replayed and the first failure, if any.

    Raises:
        ValueError: ``limit`` is not positive.
        temporalio.service.RPCError: the cluster refused the listing (e.g. a malformed query).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1; got {limit}")
    full_query = gate_query(query)
    replayer = Replayer(
        workflows=[],
        plugins=[ArvoPlugin(app)],
        data_converter=data_converter or DataConverter.default,
    )
    replayed = 0
    async with replayer.workflow_replay_iterator(_histories(client, full_query, limit)) as results:
        async for result in results:
            replayed += 1
            error = result.replay_failure
            if error is None:
                continue
            kind, message = classify_replay_failure(error)
            failure = ReplayFailure(
                workflow_id=result.history.workflow_id,
                run_id=result.history.run_id,
                kind=kind,
                message=message,
            )
            return ReplayGateReport(query=full_query, replayed=replayed, failure=failure)
    return ReplayGateReport(query=full_query, replayed=replayed, failure=None)


async def _histories(client: Client, query: str, limit: int) -> AsyncIterator[WorkflowHistory]:
    """The histories of the listed executions, fetched one at a time as the replayer asks."""
    async for execution in client.list_workflows(query, limit=limit):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        yield await handle.fetch_history()

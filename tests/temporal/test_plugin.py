"""ArvoPlugin on the real dev server: a plain Worker serves the app, the user's codec is kept end
to end, replays bind the app per run, and machine code is held to the workflow sandbox."""

from __future__ import annotations

import json
import uuid

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import Interceptor, Worker, WorkflowInboundInterceptor
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from arvo_temporal import ArvoOrchestratorEventFactory, setup_arvo_machine
from arvo_temporal.errors import ConfigViolation, ExecutionFailedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import (
    ArvoApp,
    ArvoMachineWorkflow,
    ArvoPlugin,
    ArvoTemporalClient,
    arvo_data_converter,
    create_worker,
    replay_history,
)
from arvo_temporal.temporal._plugin import PASSTHROUGH_MODULES
from tests.fixtures import anchors
from tests.fixtures.impure import CALLS, PLACES, build_impure, impure
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler
from tests.fixtures.xor_codec import XorCodec

MARKER = 31337.25  # a value of the event data that must never appear in a stored history


def adder_app(task_queue: str, sink: MemorySink) -> ArvoApp:
    return ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
    )


def adder_init(a: float = 2, b: float = 3):
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": a, "b": b}
    )


async def connect(server, app: ArvoApp | None, **options) -> Client:
    plugins = [ArvoPlugin(app)] if app is not None else [ArvoPlugin()]
    return await Client.connect(
        server.target, namespace=server.namespace, plugins=plugins, **options
    )


async def test_a_plain_worker_serves_the_app_through_the_plugin(temporal_server, task_queue):
    sink = MemorySink()
    app = adder_app(task_queue, sink)
    temporal = await connect(temporal_server, app)
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    async with Worker(temporal, task_queue=task_queue):
        result = await client.execute(adder_init(2, 3))
        assert [event.type for event in result.events] == ["com.calculator.add"]
        init = adder_init(4, 5)
        await client.send(init)
        assert await client.result(init.subject) == {"success": True, "sum": 9, "errors": []}


def _payload_bytes(history) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)


async def test_the_users_codec_is_kept_and_no_event_data_is_readable(temporal_server, task_queue):
    sink = MemorySink()
    app = adder_app(task_queue, sink)
    codec = DataConverter(payload_codec=XorCodec())
    temporal = await connect(temporal_server, app, data_converter=codec)
    assert temporal.data_converter.payload_codec is codec.payload_codec
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = adder_init(MARKER, 0.5)
    async with Worker(temporal, task_queue=task_queue):
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == MARKER + 0.5
        status = await client.status(init.subject)
        assert status.status == "done"
    handle = temporal.get_workflow_handle(client.workflow_id(init.subject))
    history = await handle.fetch_history()
    stored = _payload_bytes(history)
    assert str(MARKER).encode() not in stored and str(MARKER + 0.5).encode() not in stored
    assert b'"a":' not in stored, "no event data travels in plain JSON"

    # The start input, decoded with the codec: whose execution it is, and no task queue.
    started = history.events[0].workflow_execution_started_event_attributes
    (decoded,) = await XorCodec().decode(list(started.input.payloads))
    assert set(json.loads(decoded.data)) == {"orchestrator", "subject", "carried", "init"}

    # The same history replays through the plugin with the codec, and not without it.
    await replay_history(history, app=app, data_converter=codec)
    with pytest.raises(Exception, match=r"(?i)encoding"):
        await replay_history(history, app=app)


async def test_a_replay_binds_the_app_whatever_task_queue_the_history_ran_on(
    temporal_server, task_queue
):
    sink = MemorySink()
    temporal = await connect(temporal_server, adder_app(task_queue, sink))
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = adder_init()
    async with Worker(temporal, task_queue=task_queue):
        await client.send(init)
        await client.result(init.subject)
    history = await temporal.get_workflow_handle(client.workflow_id(init.subject)).fetch_history()
    other = adder_app(f"elsewhere-{uuid.uuid4()}", MemorySink())
    result = await replay_history(history, app=other)
    assert result.replay_failure is None


SANDBOX_CASES = [(call, "action") for call in CALLS] + [
    ("clock", where) for where in PLACES if where != "action"
]


@pytest.mark.parametrize(("call", "where"), SANDBOX_CASES)
async def test_machine_code_is_held_to_the_sandbox(temporal_server, task_queue, call, where):
    sink = MemorySink()
    app = ArvoApp(
        orchestrators=[build_impure(call, where)], default_sink=sink, task_queue=task_queue
    )
    temporal = await connect(temporal_server, app)
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = ArvoOrchestratorEventFactory(impure.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    async with Worker(temporal, task_queue=task_queue):
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match="RestrictedWorkflowAccessError") as failed:
            await client.result(init.subject)
        (error,) = await sink.wait_for(1)
    assert "Cannot access" in str(failed.value)
    assert error.type == "sys.arvo.orc.impure.error" and error.to == "com.test.client"
    assert "Cannot access" in error.data["errorMessage"]


async def test_unguarded_machines_are_an_explicit_opt_in(temporal_server, task_queue):
    app = ArvoApp(orchestrators=[build_impure("clock")], default_sink=MemorySink())
    temporal = await connect(temporal_server, None)
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = ArvoOrchestratorEventFactory(impure.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )
    async with create_worker(temporal, app=app, task_queue=task_queue, sandboxed_machines=False):
        await client.send(init)
        assert (await client.result(init.subject))["stamp"].startswith("20")


def impure_by_marker(marker: object):
    """A module-level factory whose argument is not plain data."""
    return setup_arvo_machine(
        contracts={"self": impure.version("1.0.0"), "services": {}}
    ).create_machine(id="impure", config={"initial": "x", "states": {"x": {}}})


def test_machines_the_sandbox_cannot_build_again_are_refused_at_once():
    def nested():
        return setup_arvo_machine(
            contracts={"self": impure.version("1.0.0"), "services": {}}
        ).create_machine(id="impure", config={"initial": "x", "states": {"x": {}}})

    with pytest.raises(ConfigViolation, match=r"arvo\.orc\.impure@1\.0\.0.*nested"):
        ArvoPlugin(ArvoApp(orchestrators=[nested()]))
    # A factory given something that is not plain data cannot be called again either.
    with pytest.raises(ConfigViolation, match="cannot call again"):
        ArvoPlugin(ArvoApp(orchestrators=[impure_by_marker(object())]))
    # ... unless the machines are passed in unguarded, on purpose.
    assert ArvoPlugin(ArvoApp(orchestrators=[nested()]), sandboxed_machines=False).app is not None


def test_the_converter_composes_and_refuses_what_cannot_carry_arvo_models():
    codec = XorCodec()
    composed = arvo_data_converter(DataConverter(payload_codec=codec))
    assert composed.payload_codec is codec
    assert arvo_data_converter(composed) is composed

    class Custom(DefaultPayloadConverter):
        pass

    with pytest.raises(ConfigViolation, match="Custom"):
        arvo_data_converter(DataConverter(payload_converter_class=Custom))


async def test_a_worker_without_the_app_fails_the_run_visibly(temporal_server, task_queue):
    temporal = await connect(temporal_server, None)
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = adder_init()
    runner = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
    async with Worker(
        temporal, task_queue=task_queue, workflows=[ArvoMachineWorkflow], workflow_runner=runner
    ):
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match="no ArvoPlugin"):
            await client.result(init.subject)


class _CountingInterceptor(Interceptor):
    """Another plugin's workflow interceptor, recording the workflow type of every run."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def workflow_interceptor_class(self, input):
        runs = self.runs

        class _Count(WorkflowInboundInterceptor):
            async def execute_workflow(self, input):
                runs.append(workflow.info().workflow_type)
                return await super().execute_workflow(input)

        return _Count


@pytest.mark.parametrize("arvo_first", [True, False], ids=["arvo-first", "arvo-last"])
async def test_the_plugin_composes_with_other_plugins_and_a_codec(
    temporal_server, task_queue, arvo_first
):
    counting = _CountingInterceptor()
    other = SimplePlugin("tests.counting", interceptors=[counting])
    sink = MemorySink()
    arvo = ArvoPlugin(adder_app(task_queue, sink))
    temporal = await Client.connect(
        temporal_server.target,
        namespace=temporal_server.namespace,
        plugins=[arvo, other] if arvo_first else [other, arvo],
        data_converter=DataConverter(payload_codec=XorCodec()),
    )
    client = ArvoTemporalClient(temporal, task_queue=task_queue)
    init = adder_init(1, 2)
    async with Worker(temporal, task_queue=task_queue):
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 3
    assert counting.runs == ["ArvoExecution"]
    assert isinstance(temporal.data_converter.payload_codec, XorCodec)

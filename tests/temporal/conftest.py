"""Fixtures for tests that run against a real Temporal server.

One dev server serves the whole test run (starting one costs little, but a server per test would
multiply ports, processes and log noise); tests stay independent because each one gets a fresh
task queue, and workflow ids are expected to be unique per test as well.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client

from arvo_temporal.temporal._devserver import INSTALL_HINT, DevServer, find_temporal_executable
from tests.conftest import require_tool

CONTINUE_AS_NEW_SUGGESTED_AFTER = 60
"""History length at which the test server suggests continue-as-new (the default is 4,096), so
that continue-as-new paths run in ordinary tests instead of only after thousands of events."""

TEST_DYNAMIC_CONFIG: dict[str, object] = {
    "limit.historyCount.suggestContinueAsNew": CONTINUE_AS_NEW_SUGGESTED_AFTER,
}


def require_temporal_cli() -> None:
    """Fail, never skip, without the ``temporal`` CLI: these tests are the product's proof."""
    require_tool("temporal", find_temporal_executable() is not None, INSTALL_HINT)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_server() -> AsyncIterator[DevServer]:
    """The one in-memory, headless dev server of this test run, with our search attributes."""
    require_temporal_cli()
    async with DevServer.start(dynamic_config=TEST_DYNAMIC_CONFIG) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_client(temporal_server: DevServer) -> Client:
    """A client on ``temporal_server``'s namespace (default data converter)."""
    return await temporal_server.connect()


@pytest.fixture
def task_queue() -> str:
    """A task queue no other test uses, so workers of different tests never steal tasks."""
    return f"arvo-test-{uuid.uuid4()}"

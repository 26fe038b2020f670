"""Waiting for asynchronous outcomes with a deadline (a guard against hangs, not a timing check)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 60) -> Any:
    """Poll until ``check`` returns something truthy and return it; fail naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)

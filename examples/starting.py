"""What the example starters share: a client from the SDK's own configuration, and a clean exit.

``connect()`` reads the connection as the CLI and the deployable worker do, through
``temporalio.envconfig`` (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_PROFILE`` and
the Temporal CLI's TOML profiles; by default ``localhost:7233``), and uses the task queue
``TASK_QUEUE`` (default ``arvo``, the examples' own).

``leave(work)`` runs a starter's work, prints its answer and ends the process through
``arvo_temporal.cli.exit_now``: a process that used a Temporal client can otherwise abort at
interpreter exit, after printing the right answer (``arvo_temporal/cli/_exit.py``). Exit status:
0 with the answer on stdout, 1 with one line on stderr (2 for bad settings), 130 after Ctrl-C,
and 141, quietly, when stdout's reader went away (``| head``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from arvo_temporal.cli import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_RUNTIME,
    CommandError,
    connection_from_env,
    exit_now,
)
from arvo_temporal.temporal import DEFAULT_TASK_QUEUE, ArvoTemporalClient

__all__ = ["connect", "leave"]


async def connect() -> ArvoTemporalClient:
    """A client from the SDK's configuration, on ``TASK_QUEUE`` or the examples' task queue."""
    config: dict[str, Any] = dict(connection_from_env(os.environ).connect_config())
    target = str(config.pop("target_host"))
    task_queue = os.environ.get("TASK_QUEUE", "").strip() or DEFAULT_TASK_QUEUE
    return await ArvoTemporalClient.connect(target, task_queue=task_queue, **config)


def _status(work: Callable[[], Coroutine[Any, Any, str]]) -> int:
    try:
        answer = asyncio.run(work())
        sys.stdout.write(f"{answer}\n")
        sys.stdout.flush()
    except BrokenPipeError:
        return EXIT_OUTPUT_CLOSED
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except CommandError as error:  # bad settings: one line, the CLI's status for them
        sys.stderr.write(f"{' '.join(str(error).split())}\n")
        return error.code
    except Exception as error:
        message = " ".join(str(error).split()) or type(error).__name__
        sys.stderr.write(f"{type(error).__name__}: {message}\n")
        return EXIT_RUNTIME
    return 0


def leave(work: Callable[[], Coroutine[Any, Any, str]]) -> NoReturn:
    """Run ``work`` (an ``async`` function returning the text to print), print it and end the
    process with its exit status (see the module docstring)."""
    exit_now(_status(work))

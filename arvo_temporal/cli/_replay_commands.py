"""``arvo-temporal replay``: replaying recorded histories against the code at hand."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from temporalio.workflow import NondeterminismError

from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, one_line
from arvo_temporal.cli._io import Io
from arvo_temporal.cli._loading import load_app
from arvo_temporal.temporal._replay import load_history, replay_history

__all__ = [
    "cmd_replay",
]


async def cmd_replay(args: argparse.Namespace, io: Io) -> int:
    path = Path(args.history)
    try:
        data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except OSError as error:
        raise CommandError(
            f"cannot read {path}: {error.strerror or error}", code=EXIT_USAGE
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"{path} is not valid JSON: {error}", code=EXIT_USAGE) from None
    try:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        history = load_history(data, workflow_id=path.stem)
    except Exception as error:  # protobuf's parse errors have no common public base class
        raise CommandError(
            f"{path} is not a Temporal workflow history (make one with 'arvo-temporal history' "
            f"or 'temporal workflow show --output json'): {one_line(error, 200)}",
            code=EXIT_USAGE,
        ) from None
    app = load_app(args.app)
    try:
        await replay_history(history, app=app)
    except NondeterminismError as error:
        raise CommandError(f"replay of {path} failed: nondeterminism: {one_line(error)}") from None
    except ValueError as error:
        raise CommandError(f"cannot replay {path}: {one_line(error)}", code=EXIT_USAGE) from None
    except Exception as error:  # any other workflow task failure is a failed replay as well
        raise CommandError(
            f"replay of {path} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    io.emit({"history": str(path), "events": len(history.events), "replayed": True})
    return 0

"""Plumbing shared by the ``arvo-temporal`` commands: one-line argument errors, the streams of
one run, progress during long waits, time limits, and reading an event from a file or stdin."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from arvo_temporal._json_limits import JsonLimitError, load_json
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, one_line
from arvo_temporal.errors import ArvoEventValidationError, InvalidSubjectError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.subject import ArvoOrchestrationSubject

__all__ = [
    "Io",
    "Parser",
    "read_event",
    "read_json_source",
    "read_json_text",
    "waiting",
    "within",
]

PROG = "arvo-temporal"

_T = TypeVar("_T")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (a CommandError), not usage plus a line."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see '{self.prog} --help')", code=EXIT_USAGE)


@dataclass
class Io:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]

    def progress(self, line: str) -> None:
        self.stderr.write(f"{line}\n")
        self.stderr.flush()

    def emit(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
        self.stdout.flush()


@contextlib.asynccontextmanager
async def waiting(
    io: Io, message: str, *, first: float = 1.0, every: float = 10.0
) -> AsyncIterator[None]:
    """Say on stderr what we wait for once the wait passes ``first`` seconds, then every
    ``every`` seconds, so a long wait never looks like a hang (short waits stay silent)."""

    async def tell() -> None:
        began = time.monotonic()
        await asyncio.sleep(first)
        io.progress(f"{message} (Ctrl-C to stop waiting)")
        while True:
            await asyncio.sleep(every)
            io.progress(f"… still waiting ({time.monotonic() - began:.0f}s)")

    teller = asyncio.create_task(tell())
    try:
        yield
    finally:
        teller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await teller


async def within(awaitable: Awaitable[_T], seconds: float | None, what: str) -> _T:
    """Await with an optional limit (None waits as long as it takes)."""
    limit = asyncio.timeout(seconds)
    try:
        async with limit:
            return await awaitable
    except TimeoutError:
        if not limit.expired():  # a TimeoutError of the awaited call itself, not our limit
            raise
        raise CommandError(f"{what} did not happen within {seconds:g}s") from None


def read_json_text(text: str, name: str) -> Any:
    """The JSON value in ``text`` (read from ``name``), within the library's JSON limits.

    Raises:
        CommandError (exit 2): text that is not JSON or breaks a limit (nesting, integer size).
    """
    try:
        return load_json(text)
    except JsonLimitError as error:
        reason = str(error).removeprefix("not valid JSON: ")
        raise CommandError(f"{name} is not valid JSON: {reason}", code=EXIT_USAGE) from None


def read_json_source(source: str, io: Io) -> tuple[str, Any]:
    """The name of ``source`` (a file, or ``-`` for stdin) and the JSON value it holds.

    Raises:
        CommandError (exit 2): unreadable, not UTF-8, or not JSON within the library's limits.
    """
    name = "<stdin>" if source == "-" else source
    try:
        text = io.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(
            f"cannot read {name}: {error.strerror or error}", code=EXIT_USAGE
        ) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            f"cannot read {name}: not UTF-8 text ({error.reason})", code=EXIT_USAGE
        ) from None
    return name, read_json_text(text, name)


def read_event(source: str, io: Io) -> ArvoEvent:
    """An Arvo event from a JSON file or ``-`` (stdin).

    Raises:
        CommandError (exit 2): unreadable file, bad JSON (or JSON over the library's limits), not
            an object, an invalid field, or a subject that is not an orchestration subject.
    """
    name, data = read_json_source(source, io)
    if not isinstance(data, dict):
        raise CommandError(
            f"{name} must hold one JSON object (an Arvo event); got {type(data).__name__}",
            code=EXIT_USAGE,
        )
    try:
        event = ArvoEvent.from_json(data)
    except ArvoEventValidationError as error:
        details = "; ".join(f"{key}: {reason}" for key, reason in error.errors.items())
        raise CommandError(
            f"invalid event in {name}: {one_line(details)}", code=EXIT_USAGE
        ) from None
    try:
        ArvoOrchestrationSubject.parse(event.subject)
    except InvalidSubjectError:
        raise CommandError(
            f"the event in {name} has a subject that is not an Arvo orchestration subject; only "
            "events for orchestrators (arvo.orc.*) run on Temporal",
            code=EXIT_USAGE,
        ) from None
    return event

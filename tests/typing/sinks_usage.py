"""Public sink and dead-letter usages that must type-check under mypy --strict.

Not run as a test: a change to a public signature that breaks ordinary user code shows up here
as a type error.
"""

from __future__ import annotations

from pathlib import Path

from arvo_temporal import ArvoEvent
from arvo_temporal.sinks import (
    DeadLetter,
    DeadLetterSink,
    ForwardingDeadLetterSink,
    HttpSink,
    JsonLinesDeadLetterSink,
    SinkRouter,
    StdoutSink,
    dead_letter_sink_from_url,
    default_dead_letter_sink,
    deliver_or_dead_letter,
    read_dead_letters,
)
from arvo_temporal.temporal import ArvoApp


def an_app_with_a_dead_letter_file(folder: Path) -> ArvoApp:
    return ArvoApp(
        sinks={"default": HttpSink("https://broker.example/in", mode="binary", timeout=10)},
        dead_letter=JsonLinesDeadLetterSink(folder / "dead-letter.jsonl", fsync=True),
    )


def dead_letters_somewhere_else() -> list[DeadLetterSink]:
    return [
        ForwardingDeadLetterSink(StdoutSink()),
        dead_letter_sink_from_url("jsonl:dead.jsonl"),
        default_dead_letter_sink(".arvo-temporal"),
    ]


async def deliver(events: list[ArvoEvent], dead_letter: DeadLetterSink) -> list[str]:
    letters: list[DeadLetter] = await deliver_or_dead_letter(
        SinkRouter({"default": StdoutSink()}), events, dead_letter
    )
    return [f"{letter.event.id}: {letter.status} {letter.reason}" for letter in letters]


def refused_so_far(path: Path) -> dict[str, object]:
    return {letter.event.id: letter.to_json() for letter in read_dead_letters(path)}

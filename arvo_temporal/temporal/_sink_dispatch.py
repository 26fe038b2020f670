"""The sink half of the dispatch activity (``arvo_temporal/temporal/_activities.py``).

Events for sinks are delivered through the app's ``SinkRouter``. What a receiver refused for good
goes to the app's dead-letter sink and is reported (``DispatchReport.dead_letters``), so the
activity succeeds and the execution goes on as if it had been delivered: a refused event never
turns a finished machine into a failed run. What may pass later (timeouts, 5xx, 408/429) fails the
attempt as a *retryable* ``ApplicationError`` and Temporal sends the whole batch again, with the
same event ids; when the receiver said ``Retry-After``, that is the delay before the next attempt
(``next_retry_delay``), capped at :data:`MAX_RETRY_AFTER`. After ``ArvoApp.sink_attempts``
attempts those go to the dead-letter sink too: the dispatch activity retries without a limit
(deliveries to other executions must not be lost), so the limit for sinks is counted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks import (
    DeadLetterSink,
    SinkDeliveryError,
    default_dead_letter_sink,
    deliver_or_dead_letter,
)
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._models import DeadLettered, DeliveryOutcome

__all__ = ["MAX_RETRY_AFTER", "deliver_to_sinks", "retry_failure"]

MAX_RETRY_AFTER = timedelta(hours=1)
"""The longest ``Retry-After`` honoured: a receiver cannot park an execution's deliveries for
longer than this per attempt."""


def retry_failure(error: SinkDeliveryError) -> ApplicationError:
    """The retryable ``ApplicationError`` for a delivery that may pass later, waiting as long as
    the receiver asked (``Retry-After``) before the next attempt."""
    delay = None
    if error.retry_after is not None:
        delay = min(timedelta(seconds=error.retry_after), MAX_RETRY_AFTER)
    return ApplicationError(
        str(error),
        {
            "message": str(error),
            "sink": error.sink,
            "event_ids": list(error.event_ids),
            "status": error.status,
            "retry_after": error.retry_after,
        },
        type=type(error).__name__,
        non_retryable=False,
        next_retry_delay=delay,
    )


async def deliver_to_sinks(
    app: ArvoApp, events: Sequence[ArvoEvent], *, attempt: int = 1
) -> tuple[list[DeliveryOutcome], list[DeadLettered]]:
    """Deliver ``events`` to their domains' sinks, dead-lettering those refused for good, and
    on attempt ``app.sink_attempts`` those that still fail at all.

    Returns:
        One outcome per event (``sink`` or ``dead_letter``) and the dead letters.

    Raises:
        ApplicationError: retryable (see the module docstring).
    """
    dead_letter: DeadLetterSink = app.dead_letter or default_dead_letter_sink()
    give_up = f"after {attempt} attempts" if attempt >= app.sink_attempts else None
    try:
        letters = await deliver_or_dead_letter(app.sinks, events, dead_letter, give_up=give_up)
    except SinkDeliveryError as error:
        raise retry_failure(error) from None
    dead = [
        DeadLettered(
            event_id=letter.event.id,
            event_type=letter.event.type,
            sink=letter.sink,
            reason=letter.reason,
            status=letter.status,
            dead_letter=dead_letter.name,
        )
        for letter in letters
    ]
    for entry in dead:
        activity.logger.warning(
            "event %s (%s) refused by %s: %s; kept in %s",
            entry.event_id,
            entry.event_type,
            entry.sink,
            entry.reason,
            entry.dead_letter,
        )
    refused = {entry.event_id: entry for entry in dead}
    outcomes: list[DeliveryOutcome] = []
    for event in events:
        letter = refused.get(event.id)
        if letter is not None:
            outcomes.append(
                DeliveryOutcome(
                    event_id=event.id,
                    route="dead_letter",
                    target=letter.dead_letter,
                    detail=letter.reason,
                )
            )
            continue
        sink = app.sinks.sink_for(event.domain)
        outcomes.append(
            DeliveryOutcome(
                event_id=event.id,
                route="sink",
                target=sink.name if sink is not None else "?",
                detail=event.domain or "default",
            )
        )
    return outcomes, dead

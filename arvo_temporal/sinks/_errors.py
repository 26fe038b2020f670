"""The error a sink raises when events could not be delivered."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from arvo_temporal.errors import ArvoError

__all__ = ["SinkDeliveryError", "describe_ids"]


class SinkDeliveryError(ArvoError):
    """Raised by a sink when events could not be delivered.

    The emit activity turns a retryable error into an ordinary activity failure (Temporal retries
    it under the activity's retry policy) and a non-retryable one into
    ``ApplicationError(non_retryable=True)``.

    Attributes:
        sink: the name of the sink that failed.
        event_ids: the ids of the events not known to be delivered, failing one first.
        retryable: whether sending the same events again may succeed.
        status: the HTTP status that caused the failure, when there was one.
        retry_after: seconds the receiver asked us to wait (``Retry-After``), when it said so.
        reason: the failure without the sink and id decoration.
        causes: the per-sink errors when several sinks failed (composite and router).
    """

    def __init__(
        self,
        reason: str,
        *,
        sink: str,
        event_ids: Iterable[str],
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        causes: Sequence[SinkDeliveryError] = (),
    ) -> None:
        self.reason = reason
        self.sink = sink
        self.event_ids: tuple[str, ...] = tuple(event_ids)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.causes: tuple[SinkDeliveryError, ...] = tuple(causes)
        verdict = "retryable" if retryable else "not retryable"
        super().__init__(
            f"sink {sink!r} failed to deliver {describe_ids(self.event_ids)}: {reason} ({verdict})"
        )


def describe_ids(ids: Sequence[str], shown: int = 5) -> str:
    """A short list of ids for messages; a large batch must not turn into a huge log line."""
    noun = "event" if len(ids) == 1 else "events"
    listed = ", ".join(ids[:shown])
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f"{len(ids)} {noun} ({listed}{more})"

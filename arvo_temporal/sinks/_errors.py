"""The error a sink raises when events could not be delivered, and how several combine.

Every sink keeps one promise about it, which the dead-letter step relies on
(``arvo_temporal/sinks/_dead_letters.py``): a **non-retryable** error means that every event it
names was refused for good and every other event of the batch was delivered. A sink that meets
a refusal therefore carries on with the rest of the batch; a *retryable* failure stops it, and
the whole batch is sent again later (same ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from arvo_temporal.errors import ArvoError

__all__ = ["SinkDeliveryError", "combine_failures", "describe_ids", "refusals"]


class SinkDeliveryError(ArvoError):
    """Raised by a sink when events could not be delivered.

    A retryable error is retried by the dispatch activity (after ``retry_after`` when the
    receiver said how long to wait); the events of a non-retryable one go to the dead-letter sink
    and the activity succeeds, so a refused event never fails an execution.

    Attributes:
        sink: the name of the sink that failed (never carries credentials).
        event_ids: the ids of the events not known to be delivered, failing one first.
        retryable: whether sending the same events again may succeed. When false, every event
            named was refused for good and every other event of the batch was delivered.
        status: the HTTP status that caused the failure, when there was one.
        retry_after: seconds the receiver asked us to wait (``Retry-After``), when it said so.
        reason: the failure without the sink and id decoration.
        causes: the individual errors when several requests or sinks failed.
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


def combine_failures(
    owner: str, what: str, failures: Sequence[SinkDeliveryError]
) -> SinkDeliveryError:
    """One error for several failures of ``owner`` (a sink's requests, or several sinks).

    A single failure is returned as it is. Several become one error with ``causes``; it is
    retryable when any of them is, because sending again may then still deliver something (the
    refused events are refused again and dead-lettered once the rest went through), and it asks
    to wait as long as the most patient receiver asked.

    Args:
        what: the plural noun for the message, e.g. ``"requests"`` or ``"sinks"``.
    """
    if len(failures) == 1:
        return failures[0]
    ids = dict.fromkeys(event_id for failure in failures for event_id in failure.event_ids)
    delays = [failure.retry_after for failure in failures if failure.retry_after is not None]
    return SinkDeliveryError(
        f"{len(failures)} {what} failed: " + "; ".join(str(failure) for failure in failures),
        sink=owner,
        event_ids=ids,
        retryable=any(failure.retryable for failure in failures),
        retry_after=max(delays) if delays else None,
        causes=failures,
    )


def refusals(error: SinkDeliveryError) -> Iterator[SinkDeliveryError]:
    """The non-retryable failures inside ``error`` (itself, or its causes, recursively): each
    names events refused for good, with the sink, status and reason that refused them."""
    if not error.causes:
        if not error.retryable:
            yield error
        return
    for cause in error.causes:
        yield from refusals(cause)

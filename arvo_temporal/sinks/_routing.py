"""Several sinks as one: :class:`CompositeSink` (every sink) and :class:`SinkRouter` (by domain)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError
from arvo_temporal.sinks._protocol import EventSink

__all__ = ["CompositeSink", "SinkRouter"]


async def _deliver_all(
    owner: str, batches: Iterable[tuple[EventSink, Sequence[ArvoEvent]]]
) -> None:
    """Deliver each batch to its sink; try every sink even when one fails, then raise.

    Trying the rest means a dead sink does not hold back healthy ones; the retry that follows
    re-delivers to those too, which at-least-once delivery allows. The combined error is retryable
    only when every failure is: retrying cannot fix a permanent failure, and a retry policy that
    kept retrying one would only postpone the same verdict.
    """
    failures: list[SinkDeliveryError] = []
    for sink, batch in batches:
        try:
            await sink.deliver(batch)
        except SinkDeliveryError as error:
            failures.append(error)
    if not failures:
        return
    if len(failures) == 1:
        raise failures[0]
    ids = dict.fromkeys(event_id for failure in failures for event_id in failure.event_ids)
    delays = [failure.retry_after for failure in failures if failure.retry_after is not None]
    raise SinkDeliveryError(
        f"{len(failures)} sinks failed: " + "; ".join(str(failure) for failure in failures),
        sink=owner,
        event_ids=ids,
        retryable=all(failure.retryable for failure in failures),
        retry_after=max(delays) if delays else None,
        causes=failures,
    )


async def _close_all(sinks: Iterable[EventSink]) -> None:
    """Close every sink, even when one fails to close, then raise the first failure."""
    first: BaseException | None = None
    for sink in sinks:
        try:
            await sink.aclose()
        except Exception as error:
            first = first or error
    if first is not None:
        raise first


class CompositeSink:
    """Delivers every batch to several sinks (e.g. a broker and an audit file), in the order given.

    Raises:
        ValueError: when no sink is given.
    """

    def __init__(self, *sinks: EventSink) -> None:
        if not sinks:
            raise ValueError("CompositeSink needs at least one sink")
        self.sinks: tuple[EventSink, ...] = sinks
        self.name = "composite(" + ", ".join(sink.name for sink in sinks) + ")"

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver to each sink.

        Raises:
            SinkDeliveryError: one sink's error as is, or a combined one (``causes``) when several
                failed.
        """
        await _deliver_all(self.name, ((sink, events) for sink in self.sinks))

    async def aclose(self) -> None:
        """Close every sink."""
        await _close_all(self.sinks)


class SinkRouter:
    """Chooses a sink per event by its domain and delivers each sink's share in order.

    Args:
        sinks: domain → sink. Key ``"default"`` serves events whose domain is ``None`` (Arvo's
            default domain); other keys are domains such as ``"external"``.
        default: catch-all for any domain without an entry (including ``None`` when there is no
            ``"default"`` entry). Without it such events are an error, never dropped.

    A domain literally named ``"default"`` shares the ``None`` entry. Events are grouped by the sink
    they resolve to, in order of first appearance, keeping each event's relative order, so two
    domains routed to one sink make one batch. The router is itself an :class:`EventSink`.
    """

    name = "router"

    def __init__(self, sinks: Mapping[str, EventSink], *, default: EventSink | None = None) -> None:
        self.sinks: dict[str, EventSink] = dict(sinks)
        self.default = default

    def sink_for(self, domain: str | None) -> EventSink | None:
        """The sink for ``domain`` (``None`` → the ``"default"`` entry), else the catch-all."""
        return self.sinks.get("default" if domain is None else domain, self.default)

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver each event to its domain's sink.

        Nothing is delivered when any event has no sink: that is a deployment error, reported
        before a partial delivery could make it look like a transient one.

        Raises:
            SinkDeliveryError: not retryable, naming the domains without a sink; or the sinks'
                own errors as :class:`CompositeSink` reports them.
        """
        groups: dict[int, tuple[EventSink, list[ArvoEvent]]] = {}
        missing: dict[str | None, list[str]] = {}
        for event in events:
            sink = self.sink_for(event.domain)
            if sink is None:
                missing.setdefault(event.domain, []).append(event.id)
                continue
            groups.setdefault(id(sink), (sink, []))[1].append(event)
        if missing:
            domains = ", ".join(
                "None (default)" if domain is None else repr(domain) for domain in missing
            )
            configured = ", ".join(sorted(self.sinks)) or "none"
            raise SinkDeliveryError(
                f"no sink for domain {domains} (configured: {configured}; no catch-all)",
                sink=self.name,
                event_ids=[event_id for ids in missing.values() for event_id in ids],
                retryable=False,
            )
        await _deliver_all(self.name, groups.values())

    async def aclose(self) -> None:
        """Close every distinct sink once (one sink may serve several domains)."""
        distinct = {id(sink): sink for sink in (*self.sinks.values(), self.default) if sink}
        await _close_all(distinct.values())

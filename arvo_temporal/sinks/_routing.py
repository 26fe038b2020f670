"""Several sinks as one: :class:`CompositeSink` (every sink) and :class:`SinkRouter` (by domain)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError, combine_failures
from arvo_temporal.sinks._protocol import EventSink

__all__ = ["CompositeSink", "SinkRouter"]


async def _deliver_all(
    owner: str,
    batches: Iterable[tuple[EventSink, Sequence[ArvoEvent]]],
    failures: Sequence[SinkDeliveryError] = (),
) -> None:
    """Deliver each batch to its sink; try every sink even when one fails, then raise.

    Trying the rest means a dead sink does not hold back healthy ones; the retry that follows
    re-delivers to those too, which at-least-once delivery allows. ``failures`` are failures
    found before delivering (events without a sink), reported with the sinks' own.

    Raises:
        SinkDeliveryError: as :func:`~arvo_temporal.sinks._errors.combine_failures` combines
            them (retryable when any failure is).
    """
    found = list(failures)
    for sink, batch in batches:
        try:
            await sink.deliver(batch)
        except SinkDeliveryError as error:
            found.append(error)
    if found:
        raise combine_failures(owner, "sinks", found)


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
                failed, retryable when any of them is.
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
            ``"default"`` entry). Without it such events are refused (they go to the
            dead-letter sink), never silently dropped.

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

        An event whose domain has no sink is a deployment error that waiting cannot fix: it is
        refused (a non-retryable failure naming the domain, so it goes to the dead-letter sink)
        while the other events are still delivered.

        Raises:
            SinkDeliveryError: the refusal of events without a sink and the sinks' own errors,
                combined as :class:`CompositeSink` combines them.
        """
        groups: dict[int, tuple[EventSink, list[ArvoEvent]]] = {}
        missing: dict[str | None, list[str]] = {}
        for event in events:
            sink = self.sink_for(event.domain)
            if sink is None:
                missing.setdefault(event.domain, []).append(event.id)
                continue
            groups.setdefault(id(sink), (sink, []))[1].append(event)
        refused: list[SinkDeliveryError] = []
        if missing:
            domains = ", ".join(
                "None (default)" if domain is None else repr(domain) for domain in missing
            )
            configured = ", ".join(sorted(self.sinks)) or "none"
            refused.append(
                SinkDeliveryError(
                    f"no sink for domain {domains} (configured: {configured}; no catch-all)",
                    sink=self.name,
                    event_ids=[event_id for ids in missing.values() for event_id in ids],
                    retryable=False,
                )
            )
        await _deliver_all(self.name, groups.values(), refused)

    async def aclose(self) -> None:
        """Close every distinct sink once (one sink may serve several domains)."""
        distinct = {id(sink): sink for sink in (*self.sinks.values(), self.default) if sink}
        await _close_all(distinct.values())

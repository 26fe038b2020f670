"""The CloudEvents JSON batch format's content type; batches are parsed by
``arvo_temporal.transport.from_http_batch`` (each bad item named ``events[3].data``)."""

from __future__ import annotations

__all__ = ["BATCH_CONTENT_TYPE"]

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"

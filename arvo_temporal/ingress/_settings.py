"""How one ingress behaves: limits, waits, tokens. Frozen, keyword-only, checked on creation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from arvo_temporal.errors import ConfigViolation

__all__ = ["IngressSettings"]


@dataclass(frozen=True, kw_only=True)
class IngressSettings:
    """Attributes:
    tokens: bearer tokens accepted (any one of them); empty for no authentication.
    max_event_bytes: the largest body of one event (structured or binary mode); None for the
        client's own limit for one event (``ArvoTemporalClient.max_event_bytes``, 1.5 MiB): a
        bigger body could never travel, so it is refused before it is read.
    max_batch_bytes: the largest body of a batch.
    max_batch_events: the most events in one batch.
    max_wait: the longest ``Prefer: wait`` honoured (longer asks are capped).
    accept_timeout: how long Temporal may take to accept an event durably before the answer
        is 503 with ``Retry-After``.
    retry_after: the ``Retry-After`` seconds of a 503.
    ready_timeout: how long ``/readyz`` waits for Temporal's health check.
    max_depth: the deepest nesting of JSON objects and arrays read.
    answer_cache_entries / answer_cache_bytes: bounds of the idempotent-answer cache.
    """

    tokens: tuple[str, ...] = ()
    max_event_bytes: int | None = None
    max_batch_bytes: int = 8 * 1024 * 1024
    max_batch_events: int = 1000
    max_wait: timedelta = timedelta(seconds=60)
    accept_timeout: timedelta = timedelta(seconds=10)
    retry_after: int = 5
    ready_timeout: timedelta = timedelta(seconds=2)
    max_depth: int = 64
    answer_cache_entries: int = 10_000
    answer_cache_bytes: int = 64 * 1024 * 1024
    _token_bytes: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        event_bytes = 1024 if self.max_event_bytes is None else self.max_event_bytes
        problems = [
            f"{name} must be at least {least}, not {value}"
            for name, value, least in (
                ("max_event_bytes", event_bytes, 1024),
                ("max_batch_bytes", self.max_batch_bytes, 1024),
                ("max_batch_events", self.max_batch_events, 1),
                ("retry_after", self.retry_after, 0),
                ("max_depth", self.max_depth, 2),
                ("answer_cache_entries", self.answer_cache_entries, 0),
                ("answer_cache_bytes", self.answer_cache_bytes, 0),
            )
            if value < least
        ]
        for name, span in (
            ("max_wait", self.max_wait),
            ("accept_timeout", self.accept_timeout),
            ("ready_timeout", self.ready_timeout),
        ):
            if span <= timedelta(0):
                problems.append(f"{name} must be positive, not {span}")
        if any(not token.strip() or token != token.strip() for token in self.tokens):
            problems.append("tokens must be non-empty and carry no surrounding spaces")
        if problems:
            raise ConfigViolation("Invalid ingress settings: " + "; ".join(problems))
        encoded = tuple(token.encode("utf-8") for token in self.tokens)
        object.__setattr__(self, "_token_bytes", encoded)

    @property
    def token_bytes(self) -> tuple[bytes, ...]:
        """The tokens as bytes, for constant-time comparison."""
        return self._token_bytes

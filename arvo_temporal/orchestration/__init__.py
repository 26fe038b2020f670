"""The pure orchestration core: no temporalio, no I/O, no clock, no randomness."""

from arvo_temporal.orchestration.result import ALL_BUCKET, DEFAULT_BUCKET, OrchestratorResult

__all__ = ["ALL_BUCKET", "DEFAULT_BUCKET", "OrchestratorResult"]

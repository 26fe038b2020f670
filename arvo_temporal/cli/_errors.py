"""The CLI's failures: one line and an exit status, never a traceback."""

from __future__ import annotations

from arvo_temporal.errors import ArvoError

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "CommandError",
    "SettingsError",
    "one_line",
]

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT), as a shell reports a command it interrupted."""
EXIT_OUTPUT_CLOSED = 141
"""Whoever read the output went away (``| head -1``): the command ends quietly with the status
a shell reports for a tool stopped by SIGPIPE (128 + 13)."""


class CommandError(ArvoError):
    """An expected failure of a command: printed as one line, never as a traceback.

    Attributes:
        code: the exit status (2 usage or input error, 1 failure at run time).
    """

    def __init__(self, message: str, *, code: int = EXIT_RUNTIME) -> None:
        self.code = code
        super().__init__(message)


class SettingsError(CommandError, ValueError):
    """Invalid settings: a bad environment variable, option value or ``module:attr``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=EXIT_USAGE)


def one_line(text: object, limit: int = 600) -> str:
    """Collapse whitespace (library messages may embed indented JSON) and cap the length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

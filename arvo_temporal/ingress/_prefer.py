"""The ``Prefer: wait=<seconds>`` request preference (RFC 7240 §4.3).

A sender that wants the events its event produced asks to wait; the ingress then executes the
event and answers 200 with them, saying ``Preference-Applied: wait=N``. Preferences are hints:
a malformed one is ignored, as the RFC says, and the wait is capped by the ingress's maximum.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["preferred_wait"]


def preferred_wait(values: Iterable[str], *, cap: int) -> int | None:
    """The wait asked for, in whole seconds, capped at ``cap``; None when none (or ``wait=0``)
    was asked for."""
    for value in values:
        for preference in value.split(","):
            token, _, argument = preference.split(";", 1)[0].partition("=")
            if token.strip().lower() != "wait":
                continue
            seconds = argument.strip().strip('"')
            if not seconds.isascii() or not seconds.isdigit():
                continue  # not delta-seconds: ignored, as any malformed preference
            wait = min(int(seconds[:12]), cap)
            return wait if wait > 0 else None
    return None

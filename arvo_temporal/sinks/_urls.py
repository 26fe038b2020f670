"""Sinks from URLs, as the deployable worker builds them from ``ARVO_SINK_*`` variables."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from arvo_temporal.sinks._files import JsonLinesSink
from arvo_temporal.sinks._http import HTTP_MODES, HttpSink, HttpSinkMode
from arvo_temporal.sinks._memory import MemorySink
from arvo_temporal.sinks._protocol import EventSink
from arvo_temporal.sinks._stdout import StdoutSink

__all__ = ["sink_from_url"]

_MODE_BY_NAME: dict[str, HttpSinkMode] = {mode: mode for mode in HTTP_MODES}
_URL_SCHEMES = ("http", "https", "file", "jsonl", "stdout", "memory")


def _http_sink_from_url(url: str) -> HttpSink:
    """``?mode=`` picks the mode and is removed; every other query parameter is kept verbatim
    (re-encoding them could change what the receiver sees)."""
    parts = urlsplit(url)
    kept: list[str] = []
    modes: list[str] = []
    for piece in parts.query.split("&") if parts.query else []:
        key, _, value = piece.partition("=")
        if unquote(key) == "mode":
            modes.append(unquote(value))
        else:
            kept.append(piece)
    if len(modes) > 1:
        raise ValueError("sink URL gives ?mode= more than once")
    name = modes[0] if modes else "structured"
    mode = _MODE_BY_NAME.get(name)
    if mode is None:
        raise ValueError(f"sink URL mode must be one of {', '.join(HTTP_MODES)}; got {name!r}")
    target = urlunsplit(parts._replace(query="&".join(kept)))
    return HttpSink(target, mode=mode)


def sink_from_url(url: str) -> EventSink:
    """Build a sink from a URL, as the deployable worker does for ``ARVO_SINK_*`` variables.

    * ``http://…`` / ``https://…`` → :class:`HttpSink`; ``?mode=binary|structured|batch``
      (default structured) selects the mode and is removed from the URL.
    * ``file:///abs/path.jsonl`` (or ``file://localhost/…``) → :class:`JsonLinesSink`.
    * ``jsonl:relative/path.jsonl`` (relative to the working directory) → :class:`JsonLinesSink`.
    * ``stdout:`` → :class:`StdoutSink`; ``memory:`` → :class:`MemorySink`.

    Raises:
        ValueError: for any other scheme (naming it and the accepted ones) or a malformed URL.
            Messages never repeat the URL, which may hold credentials.
    """
    scheme, colon, rest = url.strip().partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in _URL_SCHEMES:
        shown = repr(scheme) if colon else "none"
        raise ValueError(
            f"unsupported sink URL scheme {shown}; accepted: "
            + ", ".join(f"{accepted}:" for accepted in _URL_SCHEMES)
        )
    if scheme in ("http", "https"):
        return _http_sink_from_url(url.strip())
    if scheme == "file":
        parts = urlsplit(url.strip())
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(
                "file: sink URLs must be file:///absolute/path (use jsonl:relative/path for a "
                "path relative to the working directory)"
            )
        return JsonLinesSink(unquote(parts.path))
    if scheme == "jsonl":
        if not rest:
            raise ValueError("jsonl: sink URLs need a path, e.g. jsonl:events/out.jsonl")
        return JsonLinesSink(rest)
    if rest.strip("/"):
        raise ValueError(f"{scheme}: sink URLs take nothing after the colon")
    return StdoutSink() if scheme == "stdout" else MemorySink()

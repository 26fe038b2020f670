"""Keeping credentials out of log lines and error messages.

A sink URL may carry credentials (``https://user:password@host/…``) and tokens (``?token=…``),
and a sink may send an ``Authorization`` header. httpx logs every request line at INFO
(``HTTP Request: POST <url> "HTTP/1.1 200 OK"``) and httpcore logs response headers at DEBUG,
so a worker at its default log level would print them. :func:`protect_http_logs` puts a filter
on those loggers that rewrites such records before any handler sees them; sinks also pass their
own messages (a receiver's answer may echo what it was sent) through :func:`redact`.

What is hidden: the user-info part of every URL, every query value and fragment of a URL, the
value of credential-bearing headers (``Authorization``, ``Proxy-Authorization``, ``Cookie``,
``Set-Cookie``, ``X-Api-Key``, ``Api-Key``, ``X-Auth-Token``) in the shapes httpx and httpcore
print them, ``Basic``/``Bearer`` credentials anywhere, and any literal secret a sink names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["MASK", "RedactingFilter", "protect_http_logs", "redact"]

MASK = "***"

# The loggers of httpx and httpcore (httpcore names one per module; a filter on a logger does not
# apply to its children's records, so each is named).
_HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_SECRET_HEADERS = r"(?:proxy-)?authorization|set-cookie|cookie|x-api-key|api-key|x-auth-token"
_URL = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)"
    r"(?P<userinfo>[^\s/?#@'\"<>]*@)?"
    r"(?P<place>[^\s?#'\"<>]*)"
    r"(?P<query>\?[^\s#'\"<>]*)?"
    r"(?P<fragment>#[^\s'\"<>]*)?"
)
# httpcore prints headers as tuples of bytes, e.g. (b'set-cookie', b'session=…'); dict and list
# reprs use plain strings.
_HEADER_PAIR = re.compile(
    rf"(?P<name>\(\s*b?['\"](?:{_SECRET_HEADERS})['\"]\s*,\s*b?)(?P<quote>['\"]).*?(?P=quote)",
    re.IGNORECASE,
)
_HEADER_ITEM = re.compile(
    rf"(?P<name>['\"](?:{_SECRET_HEADERS})['\"]\s*:\s*)(?P<quote>['\"]).*?(?P=quote)",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(rf"(?P<name>\b(?:{_SECRET_HEADERS})\s*[:=]\s*)[^\s,;'\"]+", re.IGNORECASE)
_SCHEME_CREDENTIALS = re.compile(r"\b(?P<scheme>Basic|Bearer|Digest)\s+[^\s,;'\"]+", re.IGNORECASE)


def _redact_url(match: re.Match[str]) -> str:
    userinfo = f"{MASK}@" if match["userinfo"] else ""
    query = ""
    if match["query"]:
        pieces = match["query"][1:].split("&")
        query = "?" + "&".join(
            f"{piece.partition('=')[0]}={MASK}" if "=" in piece else MASK
            for piece in pieces
            if piece
        )
    fragment = f"#{MASK}" if match["fragment"] else ""
    return f"{match['scheme']}{userinfo}{match['place']}{query}{fragment}"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials replaced by ``***`` (see the module docstring).

    Args:
        secrets: literal values to hide wherever they appear (a sink's password, tokens and
            header values), longest first so that one secret inside another is hidden whole.
    """
    for secret in sorted({value for value in secrets if value}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL.sub(_redact_url, text)
    text = _SCHEME_CREDENTIALS.sub(lambda m: f"{m['scheme']} {MASK}", text)
    text = _HEADER_PAIR.sub(lambda m: f"{m['name']}{m['quote']}{MASK}{m['quote']}", text)
    text = _HEADER_ITEM.sub(lambda m: f"{m['name']}{m['quote']}{MASK}{m['quote']}", text)
    return _HEADER_LINE.sub(lambda m: f"{m['name']}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message with :func:`redact` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it alone
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def protect_http_logs() -> None:
    """Put a :class:`RedactingFilter` on httpx's and httpcore's loggers (once).

    Called by every :class:`~arvo_temporal.sinks.HttpSink`, so any process that sends events over
    HTTP is covered whatever its logging configuration; nothing else about logging is changed.
    """
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())

"""Reading a request body under a size limit, before anything parses it.

The declared ``Content-Length`` is checked first (a huge upload is refused without reading a
byte), then the streamed body is counted as it arrives, so a chunked or lying sender cannot make
the ingress hold more than the limit in memory either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from arvo_temporal.ingress._problems import Problem, ProblemError

__all__ = ["read_limited"]


def _too_large(limit: int, what: str, size: int | None) -> ProblemError:
    seen = f"{size:,} bytes" if size is not None else "more"
    return ProblemError(
        Problem(
            413,
            "body-too-large",
            "The request body is over the ingress's size limit",
            f"the body of {what} is {seen}, over the {limit:,}-byte limit",
            "body",
            extra={"limit": limit},
        )
    )


async def read_limited(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], *, limit: int, what: str
) -> bytes:
    """The whole body if it is at most ``limit`` bytes.

    Raises:
        ProblemError: 413 over the limit (declared or streamed), 400 for a malformed length.
    """
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ProblemError(
                Problem(
                    400,
                    "bad-request",
                    "Content-Length is not a number",
                    f"Content-Length {declared!r}",
                    "content-length",
                )
            )
        if int(declared) > limit:
            raise _too_large(limit, what, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, what, None)
        chunks.append(chunk)
    return b"".join(chunks)

"""Bounded zlib/gzip inflation for values that arrive compressed (subjects, Arvo-managed ids).

Why: ``zlib.decompress`` allocates whatever the stream expands to; a 340 KiB base64 subject of
repeated bytes inflates to over 1 GiB. Inflating incrementally with a maximum output size keeps
memory at the limit plus zlib's window, whatever the input claims.
"""

from __future__ import annotations

import zlib
from typing import Final

__all__ = ["InflateError", "inflate"]

# zlib header (RFC 1950) or gzip magic (RFC 1952): wbits=47 lets zlib detect either, like Node's
# ``inflateSync`` accepting both.
_ZLIB_OR_GZIP: Final = 32 + 15


class InflateError(ValueError):
    """The bytes are not a complete zlib or gzip stream, or inflate beyond the limit."""


def inflate(compressed: bytes, *, limit: int) -> bytes:
    """The decompressed bytes, refusing to produce more than ``limit`` of them.

    Bytes after the end of the stream are ignored, as ``zlib.decompress`` ignores them.

    Raises:
        InflateError: saying why (over the limit, not a zlib or gzip stream, truncated).
    """
    inflater = zlib.decompressobj(_ZLIB_OR_GZIP)
    try:
        output = inflater.decompress(compressed, limit + 1)
    except zlib.error:
        raise InflateError("not a zlib or gzip compressed payload") from None
    if len(output) > limit:
        raise InflateError(f"inflates to more than {limit:,} bytes")
    if not inflater.eof:
        raise InflateError("not a zlib or gzip compressed payload (the stream is truncated)")
    return output

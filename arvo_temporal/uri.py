"""JavaScript ``encodeURI`` / ``decodeURI`` semantics, which Arvo uses for its URI fields.

Arvo calls a value "properly encoded" when ``encodeURI(decodeURI(value)) == value``. Python's
``urllib.parse`` decodes every escape, while JavaScript's ``decodeURI`` leaves escapes of reserved
characters (``%2F``, ``%23``, ``%3F`` …) alone; without reproducing that, the round-trip check would
accept values that TypeScript Arvo rejects and vice versa (docs/arvo.md §1.2).
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["decode_uri", "encode_uri", "is_properly_encoded_uri"]

# Characters encodeURI never escapes (besides ASCII letters and digits).
_ENCODE_URI_SAFE = ";,/?:@&=+$-_.!~*'()#"
# Characters whose escapes decodeURI keeps as they are.
_RESERVED = frozenset(";/?:@&=+$,#")
# A value made only of characters encodeURI keeps is trivially a fixed point of the round trip.
_ALREADY_CANONICAL = re.compile(r"[A-Za-z0-9;,/?:@&=+$\-_.!~*'()#]*")
_HEX = frozenset("0123456789abcdefABCDEF")


def encode_uri(value: str) -> str:
    """Percent-encode ``value`` as JavaScript's ``encodeURI`` does (UTF-8, uppercase hex).

    Raises:
        ValueError: for a lone surrogate, which JavaScript rejects with ``URIError``.
    """
    if type(value) is str and _ALREADY_CANONICAL.fullmatch(value):
        return value  # nothing to escape: the common case, at a fifth of quote's cost
    try:
        return quote(value, safe=_ENCODE_URI_SAFE, encoding="utf-8", errors="strict")
    except UnicodeEncodeError as error:
        raise ValueError(f"cannot encode {value!r} as a URI: {error.reason}") from None


def _byte_at(value: str, index: int) -> int:
    if index + 3 > len(value):
        raise ValueError(f"truncated percent escape at position {index}")
    if value[index] != "%" or value[index + 1] not in _HEX or value[index + 2] not in _HEX:
        raise ValueError(f"malformed percent escape at position {index}")
    return int(value[index + 1 : index + 3], 16)


def decode_uri(value: str) -> str:
    """Decode ``value`` as JavaScript's ``decodeURI`` does.

    Escapes of reserved characters stay escaped; malformed escapes and invalid UTF-8 raise.

    Raises:
        ValueError: where JavaScript would throw ``URIError``.
    """
    if "%" not in value:
        return value
    out: list[str] = []
    i = 0
    length = len(value)
    while i < length:
        char = value[i]
        if char != "%":
            out.append(char)
            i += 1
            continue
        lead = _byte_at(value, i)
        if lead < 0x80:
            decoded = chr(lead)
            out.append(value[i : i + 3] if decoded in _RESERVED else decoded)
            i += 3
            continue
        if 0xC2 <= lead <= 0xDF:
            count = 1
        elif 0xE0 <= lead <= 0xEF:
            count = 2
        elif 0xF0 <= lead <= 0xF4:
            count = 3
        else:
            raise ValueError(f"invalid UTF-8 lead byte in escape at position {i}")
        raw = bytearray([lead])
        j = i + 3
        for _ in range(count):
            raw.append(_byte_at(value, j))
            j += 3
        try:
            out.append(raw.decode("utf-8", errors="strict"))
        except UnicodeDecodeError:
            raise ValueError(f"invalid UTF-8 sequence in escapes at position {i}") from None
        i = j
    return "".join(out)


def is_properly_encoded_uri(value: str) -> bool:
    """True when ``encodeURI(decodeURI(value)) == value`` under JavaScript semantics."""
    if _ALREADY_CANONICAL.fullmatch(value):
        return True
    try:
        return encode_uri(decode_uri(value)) == value
    except ValueError:
        return False

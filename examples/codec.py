"""An example payload codec: AES-256-GCM encryption, the key from ``ARVO_CODEC_KEY``.

With ``ARVO_CODEC=examples.codec:codec`` (or ``--codec examples.codec:codec``) every payload a
client, worker or replayer sends to Temporal is encrypted before it leaves the process: event
data, machine snapshots, results. The cluster (and anyone reading its database) sees only
``binary/encrypted`` payloads; the Temporal UI shows them decoded through ``arvo-temporal
codec-server --codec examples.codec:codec``. Search attributes are not payloads and stay
readable, which is why they carry identifiers only (arvo_temporal/temporal/_search_attributes.py).

The key is 32 random bytes, base64-encoded; ``python -m examples.codec`` prints a fresh one::

    export ARVO_CODEC_KEY=$(python -m examples.codec)

Each payload records which key encrypted it (a fingerprint of the key, never the key), so a
process holding another key fails loudly instead of returning garbage. Rotating keys means
decoding with the old key id while encoding with the new one; this example keeps one key.
It needs the ``cryptography`` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

__all__ = ["ENCODING", "KEY_ENV", "EncryptionCodec", "codec", "new_key"]

KEY_ENV = "ARVO_CODEC_KEY"
ENCODING = b"binary/encrypted"
_NONCE_BYTES = 12


class EncryptionCodec(PayloadCodec):
    """Encrypts every payload with AES-256-GCM; decodes only payloads it encrypted.

    The payload's own metadata (its encoding, e.g. ``json/plain``) is encrypted with its data, so
    nothing of the original is left in the clear.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError(f"an AES-256 key is 32 bytes; got {len(key)}")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"arvo-codec-key-id:" + key).hexdigest()[:16]

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={"encoding": ENCODING, "encryption-key-id": self.key_id.encode()},
                data=self._encrypt(payload.SerializeToString()),
            )
            for payload in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded: list[Payload] = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # not ours (e.g. written before encryption was on)
                continue
            key_id = payload.metadata.get("encryption-key-id", b"").decode()
            if key_id != self.key_id:
                raise ValueError(
                    f"the payload was encrypted with key {key_id!r}, this codec has {self.key_id!r}"
                )
            decoded.append(Payload.FromString(self._decrypt(payload.data)))
        return decoded

    def _encrypt(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        # The key id is authenticated too, so a payload cannot be relabelled.
        return nonce + self._aead.encrypt(nonce, data, self.key_id.encode())

    def _decrypt(self, data: bytes) -> bytes:
        nonce, sealed = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, self.key_id.encode())


def codec(env: Mapping[str, str] | None = None) -> EncryptionCodec:
    """The codec ``ARVO_CODEC=examples.codec:codec`` names: the key from ``ARVO_CODEC_KEY``.

    Raises:
        ValueError: the variable is missing or is not 32 bytes in base64.
    """
    raw = (os.environ if env is None else env).get(KEY_ENV, "").strip()
    if not raw:
        raise ValueError(f"{KEY_ENV} is not set (32 random bytes, base64)")
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise ValueError(f"{KEY_ENV} is not base64") from None
    return EncryptionCodec(key)


def new_key() -> str:
    """A fresh key for ``ARVO_CODEC_KEY``."""
    return base64.b64encode(os.urandom(32)).decode()


if __name__ == "__main__":
    print(new_key())

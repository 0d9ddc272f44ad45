"""AES-256-GCM blobs: ``MAGIC (4 bytes) | nonce (12 bytes) | ciphertext | tag (16 bytes)``.

The magic prefix names the format and its version; it is authenticated along with the
caller's associated data, so a blob only opens under the key and AAD it was sealed with.
"""

import json
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from governance.errors import DecryptionError

MAGIC = b"ATS\x01"
KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
_HEADER_SIZE = len(MAGIC) + NONCE_SIZE


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_SIZE:
        raise ValueError(f"AES-256-GCM needs a {KEY_SIZE}-byte key")
    return AESGCM(key)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytearray:
    """Encrypt ``plaintext`` under ``key``, binding ``aad``; returns a new blob.

    The blob is a ``bytearray`` so the ciphertext is written once, in place: large payloads
    are never copied to prepend the header.
    """
    nonce = os.urandom(NONCE_SIZE)
    blob = bytearray(_HEADER_SIZE + len(plaintext) + TAG_SIZE)
    blob[: len(MAGIC)] = MAGIC
    blob[len(MAGIC) : _HEADER_SIZE] = nonce
    _aead(key).encrypt_into(nonce, plaintext, MAGIC + aad, memoryview(blob)[_HEADER_SIZE:])
    return blob


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a blob from :func:`seal`; anything else raises :class:`DecryptionError`."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise DecryptionError("not an atspark ciphertext: expected bytes")
    view = memoryview(blob)
    if len(view) < _HEADER_SIZE + TAG_SIZE or view[: len(MAGIC)] != MAGIC:
        raise DecryptionError("not an atspark ciphertext (unknown format or truncated)")
    try:
        return _aead(key).decrypt(view[len(MAGIC) : _HEADER_SIZE], view[_HEADER_SIZE:], MAGIC + aad)
    except InvalidTag:
        raise DecryptionError(
            "ciphertext does not authenticate: tampered, truncated, or sealed under another "
            "key or context"
        ) from None


def context_aad(context: Mapping[str, str]) -> bytes:
    """Canonical AAD for an encryption context: compact JSON with sorted keys."""
    for name, value in context.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("encryption context keys and values must be strings")
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()

"""Sealed backup objects: AES-256-GCM in 1 MiB chunks, streamed, so size costs no memory.

Layout: ``MAGIC (8) | version (1) | salt (32)``, then one ``ciphertext | tag (16)`` per chunk
of :data:`CHUNK` plaintext bytes, the last one shorter (empty for empty data). Each object gets
its own key, HKDF-SHA256 of the tenant's data key and the random salt, so the chunk index can be
the nonce without any nonce repeating under a key. Every chunk's AAD is the header, the caller's
context (tenant, object name, kind) by ``context_aad``, the chunk index and a "last chunk" flag:
reordered, dropped, appended or truncated chunks, and objects moved to another name or tenant,
all fail to authenticate. Without the tenant's data key (shredded), nothing opens.
"""

import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from governance.crypto.envelope import KEY_SIZE, NONCE_SIZE, TAG_SIZE, context_aad
from governance.errors import DecryptionError

CHUNK = 1 << 20
"""Plaintext bytes per chunk."""
MAGIC = b"ATSPBK1\n"
VERSION = 1
SALT_SIZE = 32
HEADER_SIZE = len(MAGIC) + 1 + SALT_SIZE
SEALED_CHUNK = CHUNK + TAG_SIZE
REQUIRED_CONTEXT = ("tenant", "name", "kind")
_KEY_INFO = b"atspark backup object v1"


@dataclass(frozen=True)
class SealedInfo:
    """Sizes and SHA-256 (hex) of an object's plaintext and of its sealed form."""

    plain_size: int
    plain_sha256: str
    sealed_size: int
    sealed_sha256: str


class _Tally:
    """Size and SHA-256 of the bytes passed through it."""

    def __init__(self) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()

    def add(self, data: bytes) -> bytes:
        self.size += len(data)
        self.sha256.update(data)
        return data


def _info(plain: _Tally, sealed: _Tally) -> SealedInfo:
    return SealedInfo(plain.size, plain.sha256.hexdigest(), sealed.size, sealed.sha256.hexdigest())


class _Cipher:
    """The object key and the AAD prefix of one object, given its header and context."""

    def __init__(self, key: bytes, header: bytes, aad: Mapping[str, str]) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"AES-256-GCM needs a {KEY_SIZE}-byte key")
        missing = [name for name in REQUIRED_CONTEXT if name not in aad]
        if missing:
            raise ValueError(f"a backup object's context must name its {', '.join(missing)}")
        salt = header[-SALT_SIZE:]
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=_KEY_INFO)
        self.aead = AESGCM(hkdf.derive(key))
        self.aad_prefix = header + context_aad(aad)

    def _nonce_and_aad(self, index: int, last: bool) -> tuple[bytes, bytes]:
        suffix = index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")
        return index.to_bytes(NONCE_SIZE, "big"), self.aad_prefix + suffix

    def seal(self, index: int, last: bool, chunk: bytes) -> bytes:
        nonce, aad = self._nonce_and_aad(index, last)
        return self.aead.encrypt(nonce, chunk, aad)

    def open(self, index: int, last: bool, sealed: bytes) -> bytes:
        """The chunk's plaintext; raises ``InvalidTag`` if it is not chunk ``index`` sealed
        with this ``last`` flag."""
        nonce, aad = self._nonce_and_aad(index, last)
        return self.aead.decrypt(nonce, sealed, aad)


def _read(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of ``source`` (short reads are retried)."""
    data = source.read(size)
    while data and len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data


def seal_stream(
    key: bytes, source: BinaryIO, sink: BinaryIO, *, aad: Mapping[str, str]
) -> SealedInfo:
    """Encrypt ``source`` into ``sink`` under the 32-byte data ``key``; ``aad`` must hold at
    least ``tenant``, ``name`` and ``kind``, and opening needs the same. Holds two chunks."""
    header = MAGIC + bytes([VERSION]) + os.urandom(SALT_SIZE)
    cipher = _Cipher(key, header, aad)
    plain, sealed = _Tally(), _Tally()
    sink.write(sealed.add(header))
    chunk, index = plain.add(_read(source, CHUNK)), 0
    while True:
        following = plain.add(_read(source, CHUNK))
        sink.write(sealed.add(cipher.seal(index, not following, chunk)))
        if not following:
            return _info(plain, sealed)
        chunk, index = following, index + 1


def open_stream(
    key: bytes, source: BinaryIO, sink: BinaryIO, *, aad: Mapping[str, str]
) -> SealedInfo:
    """Verify and decrypt an object from :func:`seal_stream`, writing plaintext to ``sink``
    chunk by chunk; any problem raises :class:`DecryptionError` naming it.

    Chunks are written as they authenticate, so on an error ``sink`` holds a verified but
    incomplete prefix: the caller must treat it as garbage (discard it, never restore it).
    """
    name = aad.get("name", "?")
    header = _read(source, HEADER_SIZE)
    _check_header(name, header)
    cipher = _Cipher(key, header, aad)
    plain, sealed = _Tally(), _Tally()
    sealed.add(header)
    chunk, index = sealed.add(_read(source, SEALED_CHUNK)), 0
    while True:
        following = sealed.add(_read(source, SEALED_CHUNK))
        sink.write(plain.add(_open_chunk(cipher, name, index, not following, chunk)))
        if not following:
            return _info(plain, sealed)
        chunk, index = following, index + 1


def _check_header(name: str, header: bytes) -> None:
    if header[: len(MAGIC)] != MAGIC[: len(header)] or not header:
        raise DecryptionError(f"{name!r} is not a backup object")
    if len(header) < HEADER_SIZE:
        raise DecryptionError(f"backup object {name!r} is truncated: its header is incomplete")
    if header[len(MAGIC)] != VERSION:
        raise DecryptionError(
            f"backup object {name!r} has format version {header[len(MAGIC)]}, "
            f"this atspark reads version {VERSION}"
        )


def _open_chunk(cipher: _Cipher, name: str, index: int, last: bool, chunk: bytes) -> bytes:
    """Chunk ``index``'s plaintext; if it fails, says whether the object was cut or extended
    (the chunk authenticates with the other ``last`` flag) or corrupted."""
    problem = f"backup object {name!r} is corrupted"
    if len(chunk) < TAG_SIZE:
        raise DecryptionError(f"backup object {name!r} is truncated: chunk {index} is incomplete")
    try:
        return cipher.open(index, last, chunk)
    except InvalidTag:
        pass
    try:
        cipher.open(index, not last, chunk)
    except InvalidTag:
        raise DecryptionError(
            f"{problem}: chunk {index} does not authenticate (tampered, truncated or extended, "
            "or sealed under another key or for another tenant or object)"
        ) from None
    if last:
        raise DecryptionError(f"backup object {name!r} is truncated after chunk {index}")
    raise DecryptionError(f"{problem}: data follows its final chunk {index}")


def seal_bytes(key: bytes, data: bytes, *, aad: Mapping[str, str]) -> tuple[bytes, SealedInfo]:
    """:func:`seal_stream` for a small object held in memory: its sealed bytes and info."""
    sink = io.BytesIO()
    info = seal_stream(key, io.BytesIO(data), sink, aad=aad)
    return sink.getvalue(), info


def open_bytes(key: bytes, sealed: bytes, *, aad: Mapping[str, str]) -> bytes:
    """:func:`open_stream` for a small object held in memory: its plaintext."""
    sink = io.BytesIO()
    open_stream(key, io.BytesIO(sealed), sink, aad=aad)
    return sink.getvalue()

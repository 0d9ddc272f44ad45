"""AES-256-GCM blobs: round trips, and every kind of bad input fails with DecryptionError."""

import os

import pytest

from governance.crypto.envelope import MAGIC, NONCE_SIZE, TAG_SIZE, context_aad, seal, unseal
from governance.errors import DecryptionError

KEY = bytes(range(32))
AAD = context_aad({"tenant": "t1", "purpose": "connection-secrets"})
PLAINTEXT = b'{"api_key": "sk_test_123", "account": "acme"}'


@pytest.mark.parametrize("size", [0, 1, 47, 4096, 1 << 20])
def test_round_trip(size):
    plaintext = os.urandom(size)
    blob = seal(KEY, plaintext, AAD)
    assert unseal(KEY, blob, AAD) == plaintext
    assert unseal(KEY, bytes(blob), AAD) == plaintext


def test_blob_layout_is_magic_nonce_ciphertext_tag_with_a_fresh_nonce():
    first, second = seal(KEY, PLAINTEXT, AAD), seal(KEY, PLAINTEXT, AAD)
    assert first[: len(MAGIC)] == MAGIC
    assert len(first) == len(MAGIC) + NONCE_SIZE + len(PLAINTEXT) + TAG_SIZE
    assert (
        first[len(MAGIC) : len(MAGIC) + NONCE_SIZE] != second[len(MAGIC) : len(MAGIC) + NONCE_SIZE]
    )
    assert PLAINTEXT not in first


def test_every_single_byte_tamper_is_refused():
    blob = bytes(seal(KEY, PLAINTEXT, AAD))
    for index in range(len(blob)):
        for flip in (0x01, 0x80, 0xFF):
            tampered = bytearray(blob)
            tampered[index] ^= flip
            with pytest.raises(DecryptionError):
                unseal(KEY, bytes(tampered), AAD)


def test_truncated_or_extended_blobs_are_refused():
    blob = bytes(seal(KEY, PLAINTEXT, AAD))
    for length in (0, 1, 3, 4, 15, 16, 17, 31, 32, len(blob) - TAG_SIZE, len(blob) - 1):
        with pytest.raises(DecryptionError):
            unseal(KEY, blob[:length], AAD)
    with pytest.raises(DecryptionError):
        unseal(KEY, blob + b"\x00", AAD)


def test_wrong_aad_is_refused():
    blob = seal(KEY, PLAINTEXT, AAD)
    for aad in (b"", AAD + b" ", context_aad({"tenant": "t2", "purpose": "connection-secrets"})):
        with pytest.raises(DecryptionError, match="does not authenticate"):
            unseal(KEY, blob, aad)


def test_wrong_key_is_refused():
    blob = seal(KEY, PLAINTEXT, AAD)
    with pytest.raises(DecryptionError, match="does not authenticate"):
        unseal(os.urandom(32), blob, AAD)


def test_random_junk_and_non_bytes_are_refused():
    for junk in (os.urandom(n) for n in (0, 5, 16, 33, 100, 4096)):
        with pytest.raises(DecryptionError):
            unseal(KEY, junk, AAD)
    with pytest.raises(DecryptionError):
        unseal(KEY, MAGIC + os.urandom(64), AAD)
    for not_bytes in (None, "ATS\x01" + "x" * 40, 12345):
        with pytest.raises(DecryptionError, match="not an atspark ciphertext"):
            unseal(KEY, not_bytes, AAD)


def test_keys_must_be_aes_256():
    with pytest.raises(ValueError, match="32-byte key"):
        seal(KEY[:16], PLAINTEXT, AAD)


def test_context_aad_is_canonical_and_unambiguous():
    assert context_aad({"b": "2", "a": "1"}) == context_aad({"a": "1", "b": "2"})
    assert context_aad({"a": "1", "b": "2"}) != context_aad({"a": '1","b":"2'})
    assert context_aad({"ab": "c"}) != context_aad({"a": "bc"})
    assert context_aad({}) == b"{}"
    with pytest.raises(TypeError):
        context_aad({"a": 1})

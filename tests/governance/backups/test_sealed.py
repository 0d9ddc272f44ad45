"""Sealed backup objects and manifests: round trips, every kind of tampering refused with
DecryptionError, manifests bound to tenant and sequence, order-independent table checksums."""

import hashlib
import io
import json
import os
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime

import duckdb
import pytest

from governance.backups.manifest import (
    Manifest,
    ManifestEntry,
    open_manifest,
    seal_manifest,
    table_checksums,
)
from governance.backups.sealed import (
    CHUNK,
    HEADER_SIZE,
    MAGIC,
    SEALED_CHUNK,
    open_bytes,
    open_stream,
    seal_bytes,
    seal_stream,
)
from governance.crypto.envelope import TAG_SIZE
from governance.errors import DecryptionError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = {"tenant": "t-acme", "name": "snapshot-7.duckdb", "kind": "snapshot"}
DATA = os.urandom(CHUNK * 7 // 2)  # 3.5 MiB: chunks 0-2 full, chunk 3 half


@pytest.fixture(scope="module")
def sealed() -> bytes:
    return seal_bytes(KEY, DATA, aad=AAD)[0]


def chunk_at(index: int) -> slice:
    start = HEADER_SIZE + index * SEALED_CHUNK
    return slice(start, start + SEALED_CHUNK)


def refused(blob: bytes, match: str, *, key: bytes = KEY, aad: dict | None = None) -> None:
    with pytest.raises(DecryptionError, match=match):
        open_bytes(key, blob, aad=aad or AAD)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, len(DATA)])
def test_round_trip_and_info(size):
    data = DATA[:size]
    blob, info = seal_bytes(KEY, data, aad=AAD)
    chunks = max(1, -(-size // CHUNK))
    assert len(blob) == HEADER_SIZE + size + chunks * TAG_SIZE
    assert (info.plain_size, info.plain_sha256) == (size, hashlib.sha256(data).hexdigest())
    assert (info.sealed_size, info.sealed_sha256) == (len(blob), hashlib.sha256(blob).hexdigest())
    sink = io.BytesIO()
    assert open_stream(KEY, io.BytesIO(blob), sink, aad=AAD) == info
    assert sink.getvalue() == data


def test_each_sealing_is_fresh_and_hides_the_plaintext(sealed):
    again = seal_bytes(KEY, DATA, aad=AAD)[0]
    assert sealed.startswith(MAGIC) and again.startswith(MAGIC)
    assert sealed[chunk_at(0)] != again[chunk_at(0)]
    assert DATA[:64] not in sealed


class Trickle(io.RawIOBase):
    """A pipe-like source: at most 1000 bytes per read."""

    def __init__(self, data: bytes) -> None:
        self.source = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self.source.read(min(len(buffer), 1000))
        buffer[: len(piece)] = piece
        return len(piece)


def test_short_reads_from_the_source_are_completed():
    sealed, sink = io.BytesIO(), io.BytesIO()
    seal_stream(KEY, Trickle(DATA[: CHUNK + 5]), sealed, aad=AAD)
    open_stream(KEY, Trickle(sealed.getvalue()), sink, aad=AAD)
    assert sink.getvalue() == DATA[: CHUNK + 5]


def test_memory_stays_within_a_few_chunks(tmp_path):
    plain, sealed, opened = tmp_path / "plain", tmp_path / "sealed", tmp_path / "opened"
    plain.write_bytes(os.urandom(12 * CHUNK))
    tracemalloc.start()
    try:
        with plain.open("rb") as source, sealed.open("wb") as sink:
            seal_stream(KEY, source, sink, aad=AAD)
        with sealed.open("rb") as source, opened.open("wb") as sink:
            open_stream(KEY, source, sink, aad=AAD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * CHUNK
    assert opened.read_bytes() == plain.read_bytes()


def flipped(blob: bytes, index: int) -> bytes:
    tampered = bytearray(blob)
    tampered[index] ^= 0x01
    return bytes(tampered)


def test_a_flipped_header_byte_is_refused(sealed):
    refused(flipped(sealed, 0), "is not a backup object")
    refused(flipped(sealed, len(MAGIC)), "format version 0")
    refused(flipped(sealed, HEADER_SIZE - 1), "chunk 0 does not authenticate")


def test_a_flipped_chunk_or_tag_byte_is_refused(sealed):
    refused(flipped(sealed, chunk_at(2).start + 12345), "corrupted: chunk 2 does not")
    refused(flipped(sealed, chunk_at(1).stop - TAG_SIZE), "corrupted: chunk 1 does not")
    refused(flipped(sealed, len(sealed) - 1), "corrupted: chunk 3 does not")


def test_truncation_is_refused(sealed):
    refused(sealed[: chunk_at(2).start], "truncated after chunk 1")
    refused(sealed[: chunk_at(3).start], "truncated after chunk 2")  # the last chunk dropped
    refused(sealed[: chunk_at(1).start + 1000], "chunk 1 does not authenticate")
    refused(sealed[: chunk_at(3).start + TAG_SIZE - 1], "truncated: chunk 3 is incomplete")
    refused(sealed[:HEADER_SIZE], "truncated: chunk 0 is incomplete")
    refused(sealed[: HEADER_SIZE - 1], "truncated: its header is incomplete")
    refused(b"", "is not a backup object")


def test_reordered_or_appended_chunks_are_refused(sealed):
    first, second, rest = sealed[chunk_at(0)], sealed[chunk_at(1)], sealed[chunk_at(2).start :]
    swapped = sealed[:HEADER_SIZE] + second + first + rest
    assert len(swapped) == len(sealed)
    refused(swapped, "chunk 0 does not authenticate")
    refused(sealed + sealed[chunk_at(1)], "chunk 3 does not authenticate")
    one_chunk = seal_bytes(KEY, DATA[:CHUNK], aad=AAD)[0]
    refused(one_chunk + sealed[chunk_at(1)], "data follows its final chunk 0")
    refused(one_chunk + b"\x00" * TAG_SIZE, "data follows its final chunk 0")


def test_a_chunk_from_another_sealing_of_the_same_object_is_refused(sealed):
    other = seal_bytes(KEY, DATA, aad=AAD)[0]
    spliced = sealed[: chunk_at(1).start] + other[chunk_at(1)] + sealed[chunk_at(2).start :]
    refused(spliced, "chunk 1 does not authenticate")


@pytest.mark.parametrize(
    "aad",
    [
        {**AAD, "tenant": "t-other"},
        {**AAD, "name": "snapshot-8.duckdb"},
        {**AAD, "kind": "control-plane"},
        {**AAD, "extra": "x"},
    ],
)
def test_another_context_is_refused(sealed, aad):
    refused(sealed, "chunk 0 does not authenticate", aad=aad)


def test_another_key_is_refused(sealed):
    refused(sealed, "chunk 0 does not authenticate", key=OTHER_KEY)


def test_keys_and_contexts_are_checked():
    with pytest.raises(ValueError, match="32-byte key"):
        seal_bytes(KEY[:16], b"x", aad=AAD)
    with pytest.raises(ValueError, match="must name its tenant, kind"):
        seal_bytes(KEY, b"x", aad={"name": "n"})


ENTRY = ManifestEntry.of("snapshot-7.duckdb", "snapshot", seal_bytes(KEY, b"db", aad=AAD)[1])
MANIFEST = Manifest(
    tenant_id="t-acme",
    sequence=7,
    published_at=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
    backed_up_at=datetime(2026, 3, 1, 12, 5, tzinfo=UTC),
    objects=(ENTRY,),
    tables={"acme_stripe_customers": {"rows": 3, "checksum": "sum-md5-json:00ff"}},
)


def test_manifest_round_trip():
    assert Manifest.from_json(MANIFEST.to_json()) == MANIFEST
    assert open_manifest(KEY, seal_manifest(KEY, MANIFEST), tenant_id="t-acme", sequence=7) == (
        MANIFEST
    )
    assert b"acme_stripe_customers" not in seal_manifest(KEY, MANIFEST)


@pytest.mark.parametrize(
    ("key", "tenant_id", "sequence"),
    [(KEY, "t-other", 7), (KEY, "t-acme", 6), (OTHER_KEY, "t-acme", 7)],
)
def test_a_manifest_opens_only_as_its_tenant_and_sequence(key, tenant_id, sequence):
    with pytest.raises(DecryptionError):
        open_manifest(key, seal_manifest(KEY, MANIFEST), tenant_id=tenant_id, sequence=sequence)


def test_a_manifest_naming_another_tenant_inside_is_refused():
    foreign = replace(MANIFEST, tenant_id="t-other")
    aad = {"tenant": "t-acme", "kind": "manifest", "name": "manifest-7"}
    with pytest.raises(DecryptionError, match="names tenant t-other"):
        open_manifest(
            KEY, seal_bytes(KEY, foreign.to_json(), aad=aad)[0], tenant_id="t-acme", sequence=7
        )


def test_manifest_times_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(MANIFEST, backed_up_at=datetime(2026, 3, 1))


def test_entries_verify_the_opened_object():
    assert MANIFEST.entry("snapshot-7.duckdb") == ENTRY
    with pytest.raises(DecryptionError, match="not in the manifest"):
        MANIFEST.entry("snapshot-8.duckdb")
    blob, info = seal_bytes(KEY, b"db", aad=AAD)
    assert open_stream(KEY, io.BytesIO(blob), io.BytesIO(), aad=AAD) == info
    assert info.plain_sha256 == ENTRY.plain_sha256
    with pytest.raises(DecryptionError, match="was replaced"):
        ENTRY.verify(info)  # the same plaintext, sealed again: another object
    older = seal_bytes(KEY, b"older db", aad=AAD)
    with pytest.raises(DecryptionError, match="was replaced"):
        ManifestEntry.of("snapshot-7.duckdb", "snapshot", info).verify(older[1])
    ManifestEntry.of("snapshot-7.duckdb", "snapshot", info).verify(info)


ROWS = [(1, "ada", 10.5), (2, "NULL", None), (3, "b, c", 0.1), (3, "b, c", 0.1), (4, None, -2.0)]


def warehouse(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA acme; CREATE SCHEMA other; CREATE TABLE other.t (id INT)")
    connection.execute('CREATE TABLE acme."in""voices" (id INTEGER, name VARCHAR, amount DOUBLE)')
    connection.execute("CREATE TABLE acme._dlt_loads (load_id VARCHAR)")
    connection.execute("CREATE VIEW acme.v AS SELECT 1 AS x")
    values = ", ".join(
        "(" + ", ".join("NULL" if v is None else repr(v) for v in row) + ")" for row in rows
    )
    connection.execute(f'INSERT INTO acme."in""voices" VALUES {values}')
    return connection


def test_table_checksums_count_rows_and_ignore_order():
    forward = table_checksums(warehouse(ROWS), "acme")
    assert set(forward) == {'in"voices', "_dlt_loads"}
    assert forward['in"voices']["rows"] == 5 and forward["_dlt_loads"]["rows"] == 0
    assert table_checksums(warehouse(ROWS[::-1]), "acme") == forward


def md5_low64(text: str) -> int:
    """DuckDB's ``md5_number_lower``: the digest's last 8 bytes, little-endian."""
    return int.from_bytes(hashlib.md5(text.encode()).digest()[8:], "little")


def test_table_checksum_is_the_sum_of_md5_over_row_json():
    rows = [(1, "ada", 1.5), (2, "bob", 2.5)]
    names = ("id", "name", "amount")
    total = sum(
        md5_low64(json.dumps(dict(zip(names, row, strict=True)), separators=(",", ":")))
        for row in rows
    )
    checksum = table_checksums(warehouse(rows), "acme")['in"voices']["checksum"]
    assert checksum == f"sum-md5-json:{total:032x}"


@pytest.mark.parametrize(
    "changed",
    [
        [(1, "ada", 10.5), (2, "NULL", None), (3, "b, c", 0.1), (3, "b, c", 0.1), (4, None, -2.5)],
        [(1, "ada", 10.5), (2, None, None), (3, "b, c", 0.1), (3, "b, c", 0.1), (4, None, -2.0)],
        ROWS[:-2] + ROWS[-1:],  # one of two duplicate rows dropped
    ],
)
def test_any_change_changes_the_checksum(changed):
    before = table_checksums(warehouse(ROWS), "acme")['in"voices']["checksum"]
    assert table_checksums(warehouse(changed), "acme")['in"voices']["checksum"] != before

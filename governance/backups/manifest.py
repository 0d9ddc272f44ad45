"""Backup manifests: what one backup of a tenant holds, sealed so that it is authenticated and
private; and the table checksums it records."""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from governance.backups.sealed import SealedInfo, open_bytes, seal_bytes
from governance.errors import DecryptionError
from governance.warehouse.duckdb_files import identifier, string_literal

MANIFEST_VERSION = 1
CHECKSUM_METHOD = "sum-md5-json"
"""Prefix of :func:`table_checksums` values, so that a future method is told apart from a
mismatch."""


@dataclass(frozen=True)
class ManifestEntry:
    """One sealed object of a backup: its name, kind and :class:`SealedInfo`."""

    name: str
    kind: str
    plain_size: int
    plain_sha256: str
    sealed_size: int
    sealed_sha256: str

    @classmethod
    def of(cls, name: str, kind: str, info: SealedInfo) -> "ManifestEntry":
        return cls(name, kind, **asdict(info))

    def verify(self, info: SealedInfo) -> None:
        """Raise :class:`DecryptionError` unless ``info`` (from opening the object) is this
        entry's: an authentic object of the same name from another backup is refused."""
        if info != SealedInfo(
            self.plain_size, self.plain_sha256, self.sealed_size, self.sealed_sha256
        ):
            raise DecryptionError(
                f"backup object {self.name!r} was replaced: it is not the one in the manifest"
            )


@dataclass(frozen=True)
class Manifest:
    """A tenant's backup of one published snapshot (``sequence``); times are timezone-aware.

    ``tables`` maps each warehouse table to ``{"rows": int, "checksum": str}``
    (see :func:`table_checksums`).
    """

    tenant_id: str
    sequence: int
    published_at: datetime
    backed_up_at: datetime
    objects: tuple[ManifestEntry, ...]
    tables: Mapping[str, Mapping[str, Any]]

    def __post_init__(self) -> None:
        if self.published_at.tzinfo is None or self.backed_up_at.tzinfo is None:
            raise ValueError("manifest times must be timezone-aware")

    def entry(self, name: str) -> ManifestEntry:
        """The entry of object ``name``; a :class:`DecryptionError` if the manifest lacks it."""
        for entry in self.objects:
            if entry.name == name:
                return entry
        raise DecryptionError(f"backup object {name!r} is not in the manifest")

    def to_json(self) -> bytes:
        document = {
            "version": MANIFEST_VERSION,
            "tenant_id": self.tenant_id,
            "sequence": self.sequence,
            "published_at": self.published_at.isoformat(),
            "backed_up_at": self.backed_up_at.isoformat(),
            "objects": [asdict(entry) for entry in self.objects],
            "tables": {table: dict(facts) for table, facts in self.tables.items()},
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Manifest":
        document = json.loads(data)
        if document.get("version") != MANIFEST_VERSION:
            raise ValueError(f"unsupported backup manifest version {document.get('version')!r}")
        return cls(
            tenant_id=document["tenant_id"],
            sequence=document["sequence"],
            published_at=datetime.fromisoformat(document["published_at"]),
            backed_up_at=datetime.fromisoformat(document["backed_up_at"]),
            objects=tuple(ManifestEntry(**entry) for entry in document["objects"]),
            tables=document["tables"],
        )


def _manifest_aad(tenant_id: str, sequence: int) -> dict[str, str]:
    return {"tenant": tenant_id, "kind": "manifest", "name": f"manifest-{sequence}"}


def seal_manifest(key: bytes, manifest: Manifest) -> bytes:
    """``manifest`` sealed under the tenant's data ``key``, bound to its tenant and sequence."""
    sealed, _ = seal_bytes(
        key, manifest.to_json(), aad=_manifest_aad(manifest.tenant_id, manifest.sequence)
    )
    return sealed


def open_manifest(key: bytes, data: bytes, *, tenant_id: str, sequence: int) -> Manifest:
    """The manifest sealed for ``tenant_id``'s backup of snapshot ``sequence``; anything else
    (tampered, another tenant's or sequence's, another key) raises :class:`DecryptionError`."""
    manifest = Manifest.from_json(open_bytes(key, data, aad=_manifest_aad(tenant_id, sequence)))
    if (manifest.tenant_id, manifest.sequence) != (tenant_id, sequence):
        raise DecryptionError(
            f"backup manifest manifest-{sequence} names tenant {manifest.tenant_id} and "
            f"sequence {manifest.sequence}, not tenant {tenant_id}"
        )
    return manifest


def table_checksums(connection: duckdb.DuckDBPyConnection, schema: str) -> dict[str, dict]:
    """``{table: {"rows": n, "checksum": "sum-md5-json:<hex>"}}`` for every base table of
    ``schema`` in the connection's current database, dlt's ``_dlt_*`` tables included.

    The checksum is the sum of the low 64 bits of MD5 over each row's JSON (``to_json`` of its
    columns by name): independent of row order, changed by any value, column name or order,
    duplicated or dropped row. Made of MD5 and JSON rather than DuckDB's ``hash``, which
    DuckDB may change between releases. Reads each table once.
    """
    columns = connection.execute(
        "SELECT c.table_name, list(c.column_name ORDER BY c.column_index) "
        "FROM duckdb_columns() AS c JOIN duckdb_tables() AS t "
        "USING (database_name, schema_name, table_name) "
        f"WHERE c.database_name = current_database() AND c.schema_name = {string_literal(schema)} "
        "GROUP BY c.table_name ORDER BY c.table_name"
    ).fetchall()
    return {table: _checksum(connection, schema, table, names) for table, names in columns}


def _checksum(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str]
) -> dict:
    row = ", ".join(f"{string_literal(name)}: {identifier(name)}" for name in columns)
    rows, total = connection.execute(
        f"SELECT count(*), coalesce(sum(md5_number_lower(to_json({{{row}}}))), 0) "
        f"FROM {identifier(schema)}.{identifier(table)}"
    ).fetchone()
    return {"rows": rows, "checksum": f"{CHECKSUM_METHOD}:{total:032x}"}

"""A tenant's encrypted DuckDB warehouse: provisioned, written in snapshots, read read-only."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from governance.errors import NotFoundError
from governance.warehouse.duckdb_files import (
    READ_MEMORY_LIMIT,
    WAREHOUSE_CATALOG,
    Attachment,
    attach_encrypted,
    lock_down,
    new_connection,
)
from governance.warehouse.snapshots import Snapshot, SnapshotStore


class TenantWarehouse:
    """One tenant's warehouse; tables live in the schema named after the tenant."""

    def __init__(self, directory: Path, schema: str, key: Callable[[], str]) -> None:
        self.snapshots = SnapshotStore(directory)
        self.schema = schema
        self._key = key
        self.last_published: Snapshot | None = None
        """The snapshot this object's last ``write`` published (another writer may follow it)."""

    def provision(self) -> None:
        """Create the directory and a first, empty snapshot holding the tenant schema."""
        self.snapshots.create()
        with self.write() as connection:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to a private copy, published when the block succeeds."""
        with self.snapshots.writing() as draft:
            connection = new_connection()
            try:
                attach_encrypted(connection, draft.path, self._key(), read_only=False)
                yield connection
                connection.execute("USE memory")
                connection.execute(f"DETACH {WAREHOUSE_CATALOG}")
            finally:
                connection.close()
        self.last_published = draft.published

    @contextmanager
    def read_for_load(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for the loader to restore its own incremental state.

        Not a governed read: only ingestion uses it, to see the state it committed before.
        """
        with self._attached(None) as connection:
            yield connection

    @contextmanager
    def read(
        self, snapshot: Snapshot | None = None, *, memory_limit: int = READ_MEMORY_LIMIT
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only, locked-down connection (``lock_down``) to ``snapshot`` (default: the
        last published)."""
        with self._attached(snapshot) as connection:
            lock_down(connection, memory_limit)
            yield connection

    def attachment(self, snapshot: Snapshot) -> Attachment:
        """What a separate process needs to read ``snapshot``: its file and key."""
        return Attachment(snapshot.path, self._key())

    @contextmanager
    def _attached(self, snapshot: Snapshot | None) -> Iterator[duckdb.DuckDBPyConnection]:
        """``snapshot`` (default: the current one) attached read-only, for catalog-sized reads."""
        current = snapshot or self.snapshots.current()
        if current is None:
            raise NotFoundError("this tenant's warehouse has not been provisioned")
        connection = new_connection(openssl=False)
        try:
            attach_encrypted(connection, current.path, self._key(), read_only=True)
            yield connection
        finally:
            connection.close()

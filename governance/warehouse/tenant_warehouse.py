"""A tenant's encrypted DuckDB warehouse: provisioned, written in snapshots, read read-only."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from governance.errors import NotFoundError
from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG, attach_encrypted, new_connection
from governance.warehouse.snapshots import Snapshot, SnapshotStore

READ_MEMORY_LIMIT = 1024**3
"""Bytes of memory a governed read's connection may use (DuckDB's ``memory_limit``)."""

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
        """A read-only connection to ``snapshot`` (default: the last published), locked down.

        No external access, no Python objects as tables, at most ``memory_limit`` bytes of
        memory and no spilling to disk (a query that needs more fails: customer data never lands
        in plaintext temporary files), then the configuration is locked.
        """
        with self._attached(snapshot) as connection:
            connection.execute(f"SET memory_limit = '{int(memory_limit)}B'")
            connection.execute("SET temp_directory = ''")
            connection.execute("SET python_enable_replacements = false")
            connection.execute("SET enable_external_access = false")
            connection.execute("SET lock_configuration = true")
            yield connection

    @contextmanager
    def _attached(self, snapshot: Snapshot | None) -> Iterator[duckdb.DuckDBPyConnection]:
        """``snapshot`` (default: the current one) attached read-only."""
        current = snapshot or self.snapshots.current()
        if current is None:
            raise NotFoundError("this tenant's warehouse has not been provisioned")
        connection = new_connection()
        try:
            attach_encrypted(connection, current.path, self._key(), read_only=True)
            yield connection
        finally:
            connection.close()

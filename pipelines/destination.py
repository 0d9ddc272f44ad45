"""dlt's DuckDB destination, writing into the tenant snapshot attached as ``warehouse``.

Encrypted DuckDB files can only be attached, never opened as a connection's main database, and
dlt clones a fresh session per worker (whose default catalog is ``memory``). The SQL client below
makes each session default to the attached warehouse, the way dlt's own DuckLake client does.
"""

from typing import Any

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.duckdb.duck import DuckDbClient
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG


class _WarehouseSqlClient(DuckDbSqlClient):
    def open_connection(self) -> duckdb.DuckDBPyConnection:
        connection = super().open_connection()
        connection.execute(f"USE {WAREHOUSE_CATALOG}")
        connection.execute(f"SET search_path = '{self.fully_qualified_dataset_name()}'")
        return connection


class _WarehouseClient(DuckDbClient):
    def __init__(self, schema: Any, config: Any, capabilities: Any) -> None:
        super().__init__(schema, config, capabilities)
        self.sql_client = _WarehouseSqlClient(
            self.sql_client.dataset_name,
            self.sql_client.staging_dataset_name,
            config.credentials,
            capabilities,
        )


class _warehouse_duckdb(dlt.destinations.duckdb):
    @property
    def client_class(self) -> type[DuckDbClient]:
        return _WarehouseClient


def warehouse_destination(connection: duckdb.DuckDBPyConnection) -> dlt.destinations.duckdb:
    """A dlt destination loading through ``connection``, which has the draft snapshot attached."""
    return _warehouse_duckdb(
        credentials=DuckDbCredentials(connection), destination_name="warehouse"
    )

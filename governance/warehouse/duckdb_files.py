"""Opening encrypted DuckDB files offline, with the crypto module shipped by duckdb-ext-httpfs."""

import importlib.util
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb

WAREHOUSE_CATALOG = "warehouse"
"""The alias every tenant database is attached under (never equal to a tenant schema)."""

READ_MEMORY_LIMIT = 1024**3
"""Bytes of memory a governed read may use (DuckDB's ``memory_limit``), by default."""


@dataclass(frozen=True)
class Attachment:
    """A snapshot's file and the key that opens it (never printed)."""

    path: Path
    key: str = field(repr=False)


@lru_cache(maxsize=1)
def extension_directory() -> str:
    """The extension folder of the ``duckdb_ext`` namespace package (httpfs carries OpenSSL)."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("duckdb-ext-httpfs is not installed: encrypted warehouses need it")
    return str(Path(next(iter(spec.submodule_search_locations))) / "extensions")


def new_connection(*, openssl: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reads encrypted files, never downloading.

    With ``openssl`` it loads the OpenSSL crypto module shipped in httpfs, which writing
    encrypted files needs and which decrypts large scans about a third faster than DuckDB's
    built-in mbedtls; loading it costs about 80 ms, so a connection that only reads a
    catalog goes without.
    """
    connection = duckdb.connect(
        config={
            "extension_directory": extension_directory(),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    if openssl:
        connection.execute("LOAD httpfs")
    return connection


def attach_encrypted(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    key: str,
    *,
    read_only: bool,
    alias: str = WAREHOUSE_CATALOG,
) -> None:
    """Attach the encrypted database at ``path`` as ``alias``; as ``warehouse`` (the default
    alias) it also becomes the connection's default database."""
    mode = ", READ_ONLY" if read_only else ""
    # ATTACH takes no bound parameters; both values are quoted as SQL string literals.
    connection.execute(
        f"ATTACH {string_literal(str(path))} AS {identifier(alias)} "
        f"(ENCRYPTION_KEY {string_literal(key)}{mode})"
    )
    if alias == WAREHOUSE_CATALOG:
        connection.execute(f"USE {WAREHOUSE_CATALOG}")


def lock_down(connection: duckdb.DuckDBPyConnection, memory_limit: int) -> None:
    """Make ``connection`` fit for reading what a person asked: no way out, bounded, locked.

    No external access, no Python objects as tables, at most ``memory_limit`` bytes of memory
    and no spilling to disk (a query that needs more fails: customer data never lands in
    plaintext temporary files), then the configuration is locked.
    """
    connection.execute(f"SET memory_limit = '{int(memory_limit)}B'")
    connection.execute("SET temp_directory = ''")
    connection.execute("SET python_enable_replacements = false")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def string_literal(value: str) -> str:
    """``value`` as a DuckDB string literal (quotes doubled; DuckDB gives backslashes no
    meaning). Used instead of bound parameters: binding any parameter makes DuckDB import pandas
    where it is installed, a second and a half at each process's first read."""
    if "\x00" in value:
        raise ValueError("a SQL string cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """``name`` as a quoted DuckDB identifier (double quotes doubled)."""
    if "\x00" in name:
        raise ValueError("a SQL identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'

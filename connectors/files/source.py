"""The dlt source of a files connection: one resource per file, yielding pyarrow Tables."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from connectors.base import LocalFiles
from connectors.files.locate import FileLocation
from connectors.files.naming import identifier
from connectors.files.readers import read_location
from governance.errors import AtsparkError

SOURCE_NAME = "files"


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def files_source(
    files: Sequence[FileLocation],
    primary_key: str | None,
    s3_client: Callable[[], Any],
    access: LocalFiles,
) -> list[DltResource]:
    """One resource per located file, named after its stream.

    With ``primary_key`` each resource merges on that column, otherwise it replaces its table:
    loading the same file again never duplicates rows.
    """
    return [file_resource(location, primary_key, s3_client, access) for location in files]


def file_resource(
    location: FileLocation,
    primary_key: str | None,
    s3_client: Callable[[], Any],
    access: LocalFiles,
) -> DltResource:
    """A resource yielding the table in one file, read when dlt extracts it."""

    def read_file() -> Iterator[pa.Table]:
        table = read_location(location, s3_client, access)
        if primary_key is not None:
            check_primary_key(table, primary_key, location.uri)
        yield table

    if primary_key is None:
        return dlt.resource(read_file, name=location.stream, write_disposition="replace")
    return dlt.resource(
        read_file, name=location.stream, write_disposition="merge", primary_key=primary_key
    )


def check_primary_key(table: pa.Table, primary_key: str, uri: str) -> None:
    """Refuse a file without the primary key column, or with rows that have no key value.

    Columns match as dlt names them, so ``order_id`` finds a CSV column ``Order ID``.
    """
    wanted = identifier(primary_key)
    matches = [name for name in table.column_names if identifier(name) == wanted]
    if not matches:
        columns = ", ".join(table.column_names) or "none"
        raise AtsparkError(
            f"file {uri} has no primary key column {primary_key!r} (its columns: {columns})"
        )
    missing = table.column(matches[0]).null_count
    if missing:
        raise AtsparkError(
            f"file {uri} has {missing} row(s) without a value in primary key column {primary_key!r}"
        )


def build_source(
    files: Sequence[FileLocation],
    primary_key: str | None,
    s3_client: Callable[[], Any],
    access: LocalFiles,
) -> DltSource:
    return files_source(list(files), primary_key, s3_client, access)

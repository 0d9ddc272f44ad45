"""HubSpot records as Arrow tables of the declared columns, the form dlt loads fastest.

A CRM object's columns are its own fields and its properties, read by Arrow straight from the
records. HubSpot sends every property value as text (numbers and moments too, empty text for
none): a column declared ``double``, ``bigint`` or ``timestamp`` is cast from it by Arrow; a
value that does not cast is an error naming the column, never a silent null. Owners and
pipelines, a few records a run, go through the shared record converter
(``connectors/arrow.py``).
"""

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.arrow import ARROW_TYPES, to_arrow
from connectors.hubspot.streams import RECORD_FIELDS
from governance.errors import AtsparkError


def object_table(
    records: list[dict[str, Any]], columns: Mapping[str, str], schema: pa.Schema, stream: str
) -> pa.Table:
    """CRM object records (``id``, ``createdAt``, ..., ``properties``) as a table of ``schema``.

    Arrow reads the records' fields and properties straight from the dicts (a field missing
    is null); each column is then cast to its declared type."""
    own = {column: RECORD_FIELDS[column][0] for column in columns if column in RECORD_FIELDS}
    held = [column for column in columns if column not in own]
    fields = _read(records, {own[column]: columns[column] for column in own}, stream)
    properties = [record.get("properties") or {} for record in records]
    values = _read(properties, {column: columns[column] for column in held}, stream)
    arrays = [
        _typed(
            fields.field(own[column]) if column in own else values.field(column),
            kind,
            f"{stream}.{column}",
        )
        for column, kind in columns.items()
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _read(items: list[dict[str, Any]], kinds: Mapping[str, str], stream: str) -> pa.StructArray:
    """The named values of each item, as text (``bool`` ones as booleans; anything else
    found is an error)."""
    read = pa.struct(
        [(name, ARROW_TYPES["bool" if kind == "bool" else "text"]) for name, kind in kinds.items()]
    )
    try:
        return pa.array(items, read)
    except (pa.ArrowException, ValueError, TypeError):
        raise AtsparkError(f"HubSpot returned {stream} with values that are not text") from None


def _typed(values: pa.Array, kind: str, name: str) -> pa.Array:
    """Text as the declared type; empty text is no value."""
    if kind in ("text", "bool"):
        return values
    try:
        return pc.if_else(pc.equal(values, ""), None, values).cast(ARROW_TYPES[kind])
    except pa.ArrowException:
        raise AtsparkError(f"HubSpot returned values of {name} that are not {kind}") from None


def renamed_table(
    records: list[dict[str, Any]], fields: Mapping[str, tuple[str, str]], schema: pa.Schema
) -> pa.Table:
    """Records as a table of ``schema``, each column taken from its field (``fields``: column
    -> (field, type))."""
    rows = [
        {column: record.get(field) for column, (field, _) in fields.items()} for record in records
    ]
    try:
        return to_arrow(rows, schema)
    except AtsparkError as error:
        raise AtsparkError(f"HubSpot {error}") from None

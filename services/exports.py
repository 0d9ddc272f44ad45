"""Query results as files: CSV or JSON, written whole or not at all, never into atspark's state.

The serving app's downloads and the CLI's ``--output`` go through ``queries.export_query``,
which checks the destination here before the query runs and writes the file before the export
is audited as done.
"""

import base64
import csv
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from governance.errors import AtsparkError
from governance.governed_query import QueryResult
from governance.settings import Settings


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@dataclass(frozen=True)
class Export:
    """Where a result goes, and as what."""

    destination: Path
    file_format: ExportFormat = ExportFormat.csv


def plain(value: Any) -> Any:
    """A value CSV and JSON can carry: numbers stay numbers, times become ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def write_rows(result: QueryResult, file_format: ExportFormat, out: TextIO) -> None:
    """``result`` as CSV (a header, then the rows) or as one JSON document."""
    rows = [[plain(value) for value in row] for row in result.rows]
    if file_format is ExportFormat.json:
        document = {"columns": result.columns, "rows": rows, "row_count": len(rows)}
        print(json.dumps(document), file=out)
    else:
        writer = csv.writer(out)
        writer.writerow(result.columns)
        writer.writerows(rows)


def checked_destination(settings: Settings, export: Export) -> Export:
    """``export`` with its destination resolved (links followed), refused anywhere in atspark's
    own state directory, if it exists and is not a regular file (a folder, a device), or if its
    folder does not exist."""
    try:
        problem = _problem(settings, export.destination.expanduser().resolve())
    except OSError as error:
        problem = error.strerror
    if problem:
        raise AtsparkError(f"cannot export to {export.destination}: {problem}")
    return Export(export.destination.expanduser().resolve(), export.file_format)


def _problem(settings: Settings, resolved: Path) -> str | None:
    if resolved.is_relative_to(settings.home.resolve()):
        return "it is inside atspark's home"
    if resolved.is_dir():
        return "it is a folder"
    if resolved.exists() and not resolved.is_file():
        return "it is not a regular file"
    if not resolved.parent.is_dir():
        return f"no folder {resolved.parent}"
    return None


def write(result: QueryResult, export: Export) -> None:
    """Write ``result`` to the (checked) destination: owner-only, replaced whole, never half."""
    write_file(export.destination, lambda out: write_rows(result, export.file_format, out))


def write_file(destination: Path, fill: Callable[[TextIO], None]) -> None:
    """Write a (checked) destination with ``fill``: owner-only, replaced whole, never half."""
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=destination.parent, prefix=".atspark-export-", delete=False, newline=""
        ) as draft:
            try:
                fill(draft)
                draft.flush()
                os.fsync(draft.fileno())
            except BaseException:
                os.unlink(draft.name)
                raise
        os.replace(draft.name, destination)
    except OSError as error:
        raise AtsparkError(f"cannot write {destination}: {error.strerror}") from None

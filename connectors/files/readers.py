"""Read one CSV, Parquet or JSON Lines file into a pyarrow Table.

Read failures become an ``AtsparkError`` naming the file and the reason in one line.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

from connectors.base import LocalFiles
from connectors.files import s3
from connectors.files.formats import CSV, JSONL, PARQUET
from connectors.files.locate import FileLocation
from connectors.files.roots import open_inside
from governance.errors import AtsparkError

_LABELS = {CSV: "CSV", PARQUET: "Parquet", JSONL: "JSON Lines"}
_JSON_BLOCK_BYTES = 16 << 20
"""JSON Lines are parsed in blocks; a single record must fit in one."""
_REASON_CHARS = 200


def _read_csv(file: BinaryIO) -> pa.Table:
    return pa_csv.read_csv(file)


def _read_parquet(file: BinaryIO) -> pa.Table:
    with pa_parquet.ParquetFile(file) as parquet_file:
        return parquet_file.read()


def _read_jsonl(file: BinaryIO) -> pa.Table:
    return pa_json.read_json(file, read_options=pa_json.ReadOptions(block_size=_JSON_BLOCK_BYTES))


_READERS: dict[str, Callable[[BinaryIO], pa.Table]] = {
    CSV: _read_csv,
    PARQUET: _read_parquet,
    JSONL: _read_jsonl,
}


def read_file(file: BinaryIO, file_format: str, uri: str) -> pa.Table:
    """The table in the open ``file`` (closed after); ``uri`` names the file in errors."""
    try:
        with file:
            return _READERS[file_format](file)
    except OSError as exc:
        reason = exc.strerror or _first_line(exc)
    except (pa.ArrowException, ValueError) as exc:
        reason = _first_line(exc)
    raise AtsparkError(f"cannot read {uri} as {_LABELS[file_format]}: {reason}")


def read_location(
    location: FileLocation, s3_client: Callable[[], Any], access: LocalFiles
) -> pa.Table:
    """The table in a located file: a local one only where ``access`` allows, an S3 object through
    a temporary local copy."""
    if not location.is_s3:
        return read_file(open_inside(location.uri, access), location.format, location.uri)
    with tempfile.TemporaryDirectory(prefix="atspark-files-") as scratch:
        local = Path(scratch) / location.file_name
        s3.download(s3_client(), s3.parse_s3_url(location.uri), local)
        return read_file(local.open("rb"), location.format, location.uri)


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."

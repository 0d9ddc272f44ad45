"""Read one CSV, Parquet or JSON Lines file into a pyarrow Table.

Read failures become an ``AtsparkError`` naming the file and the reason in one line.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

from connectors.files import s3
from connectors.files.formats import CSV, JSONL, PARQUET
from connectors.files.locate import FileLocation
from governance.errors import AtsparkError

_LABELS = {CSV: "CSV", PARQUET: "Parquet", JSONL: "JSON Lines"}
_JSON_BLOCK_BYTES = 16 << 20
"""JSON Lines are parsed in blocks; a single record must fit in one."""
_REASON_CHARS = 200


def _read_csv(path: str) -> pa.Table:
    return pa_csv.read_csv(path)


def _read_parquet(path: str) -> pa.Table:
    with pa_parquet.ParquetFile(path) as parquet_file:
        return parquet_file.read()


def _read_jsonl(path: str) -> pa.Table:
    return pa_json.read_json(path, read_options=pa_json.ReadOptions(block_size=_JSON_BLOCK_BYTES))


_READERS: dict[str, Callable[[str], pa.Table]] = {
    CSV: _read_csv,
    PARQUET: _read_parquet,
    JSONL: _read_jsonl,
}


def read_local(path: str, file_format: str, uri: str) -> pa.Table:
    """The table in the local file ``path``; ``uri`` names the file in errors."""
    try:
        return _READERS[file_format](path)
    except OSError as exc:
        reason = exc.strerror or _first_line(exc)
    except (pa.ArrowException, ValueError) as exc:
        reason = _first_line(exc)
    raise AtsparkError(f"cannot read {uri} as {_LABELS[file_format]}: {reason}")


def read_location(location: FileLocation, s3_client: Callable[[], Any]) -> pa.Table:
    """The table in a located file; an S3 object goes through a temporary local copy."""
    if not location.is_s3:
        return read_local(location.uri, location.format, location.uri)
    with tempfile.TemporaryDirectory(prefix="atspark-files-") as scratch:
        local = Path(scratch) / location.file_name
        s3.download(s3_client(), s3.parse_s3_url(location.uri), local)
        return read_local(str(local), location.format, location.uri)


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."

"""The file formats the files connector reads, and how a file's format is decided."""

from collections.abc import Mapping

from governance.errors import AtsparkError

CSV = "csv"
PARQUET = "parquet"
JSONL = "jsonl"

EXTENSIONS: Mapping[str, str] = {
    ".csv": CSV,
    ".parquet": PARQUET,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
}
"""Supported file-name extensions (lower case) and the format each one means."""

FORMAT_NAMES: Mapping[str, str] = {CSV: CSV, PARQUET: PARQUET, JSONL: JSONL, "ndjson": JSONL}
"""Values the ``format`` config field accepts, and the format each one means."""


def parse_format_override(value: str | None) -> str | None:
    """The format named by the connection's ``format`` field, ``None`` when it is unset."""
    if value is None or not value.strip():
        return None
    name = value.strip().lower().lstrip(".")
    try:
        return FORMAT_NAMES[name]
    except KeyError:
        allowed = ", ".join(FORMAT_NAMES)
        raise AtsparkError(f"unknown file format {value!r} (allowed: {allowed})") from None


def extension_of(file_name: str) -> str:
    """The last extension of a file name, lower case with its dot ('' when there is none)."""
    dot = file_name.rfind(".")
    return file_name[dot:].lower() if dot > 0 else ""


def format_of(file_name: str) -> str | None:
    """The format a file name's extension stands for, ``None`` when it is not supported."""
    return EXTENSIONS.get(extension_of(file_name))


def unsupported_extension(uri: str) -> AtsparkError:
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    extension = extension_of(name) or "(none)"
    supported = ", ".join(EXTENSIONS)
    return AtsparkError(
        f"{uri}: unsupported file type {extension} (supported: {supported}; "
        "or set the connection's format field)"
    )

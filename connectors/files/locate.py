"""Resolve a connection's ``path`` (a file, a directory, a glob; local or ``s3://``) to files.

A directory or an S3 prefix means the supported files directly in it (not in subdirectories);
a glob means the files it matches, ``**`` crossing directories. In both cases files whose names
start with ``.`` or ``_`` (``.DS_Store``, ``_SUCCESS``) are skipped, as are files of unsupported
types, unless the connection's ``format`` field says how to read every file. A single file named
explicitly must have a supported extension or a ``format``.

Local paths are read only inside the connection's roots (``connectors.files.roots``); a relative
path is taken from the first, the tenant's upload area.
"""

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import LocalFiles
from connectors.files import roots as file_roots
from connectors.files import s3
from connectors.files.formats import EXTENSIONS, format_of, unsupported_extension
from connectors.files.naming import stream_name
from governance.errors import AtsparkError, NotFoundError

_GLOB_CHARS = re.compile(r"[*?\[]")
MAX_FILES_LISTED = 100_000
_SKIPPED_PREFIXES = (".", "_")


@dataclass(frozen=True)
class FileLocation:
    """One file to load: an absolute local path or an ``s3://bucket/key`` URI, and its format."""

    uri: str
    format: str

    @property
    def is_s3(self) -> bool:
        return s3.is_s3(self.uri)

    @property
    def file_name(self) -> str:
        return self.uri.rsplit("/", 1)[-1] if self.is_s3 else os.path.basename(self.uri)

    @property
    def stream(self) -> str:
        """The stream (dlt resource) this file loads into."""
        return stream_name(self.file_name)


def locate(
    path: str,
    format_override: str | None,
    s3_client: Callable[[], Any],
    access: LocalFiles,
) -> list[FileLocation]:
    """The files ``path`` names, one per stream, in a stable order.

    ``s3_client`` is called (once) only when ``path`` is an ``s3://`` URI; a local path, and every
    file it matches, must be one ``access`` allows.
    """
    path = path.strip()
    if not path:
        raise AtsparkError("the files connector needs a path")
    if s3.is_s3(path):
        found = _locate_s3(s3_client(), path, format_override)
    else:
        found = _locate_local(path, format_override, access)
    _check_streams(found)
    return found


def check_local_path(path: str, access: LocalFiles) -> str:
    """The absolute form of a local ``path``, refused unless what it names starts where
    ``access`` allows."""
    absolute = file_roots.absolute(path, access)
    glob_at = _GLOB_CHARS.search(absolute)
    file_roots.check_inside(absolute[: glob_at.start()] if glob_at else absolute, access, path)
    return absolute


def _locate_local(path: str, format_override: str | None, access: LocalFiles) -> list[FileLocation]:
    path = check_local_path(path, access)
    try:
        found = _files_at(path, format_override)
    except OSError as error:
        raise AtsparkError(f"cannot read path {path}: {error.strerror}") from None
    for location in found:
        file_roots.check_inside(location.uri, access)
    return found


def _files_at(path: str, format_override: str | None) -> list[FileLocation]:
    if _GLOB_CHARS.search(path):
        return _select(path, _glob_local(path), format_override)
    target = Path(path)
    if target.is_dir():
        entries = [str(entry) for entry in target.iterdir() if entry.is_file()]
        return _select(path, entries, format_override)
    if target.is_file():
        return [_single(path, format_override)]
    raise NotFoundError(f"path {path} matches no file")


def _glob_local(pattern: str) -> list[str]:
    """The files a local glob matches, as ``_glob_regex`` reads it (as for S3 keys).

    The walk never follows a link to a directory, so a link loop cannot make it run forever, skips
    hidden directories, goes no deeper than the pattern can match, and stops past
    ``MAX_FILES_LISTED`` files.
    """
    glob_at = _GLOB_CHARS.search(pattern)
    assert glob_at is not None
    base = pattern[: pattern.rfind("/", 0, glob_at.start()) + 1]
    rest = pattern[len(base) :]
    max_depth = None if "**" in rest else rest.count("/")
    matcher = _glob_regex(pattern)
    found, listed = [], 0
    for directory, subdirectories, files in os.walk(base):
        relative = os.path.relpath(directory, base)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        keep = max_depth is None or depth < max_depth
        subdirectories[:] = [d for d in subdirectories if keep and not d.startswith(".")]
        listed += len(files)
        if listed > MAX_FILES_LISTED:
            raise AtsparkError(
                f"path {pattern} spans more than {MAX_FILES_LISTED:,} files: narrow it"
            )
        candidates = (os.path.join(directory, name) for name in files)
        found.extend(c for c in candidates if matcher.match(c) and os.path.isfile(c))
    return found


def _locate_s3(client: Any, path: str, format_override: str | None) -> list[FileLocation]:
    url = s3.parse_s3_url(path)
    glob_at = _GLOB_CHARS.search(url.key)
    if glob_at:
        literal = url.key[: glob_at.start()]
        prefix = s3.S3Url(url.bucket, literal[: literal.rfind("/") + 1])
        pattern = _glob_regex(url.key)
        keys = [k for k in s3.list_keys(client, prefix, delimiter=None) if pattern.match(k)]
        return _select(path, [str(s3.S3Url(url.bucket, k)) for k in keys], format_override)
    if url.key and not url.key.endswith("/"):
        first = next(iter(s3.list_keys(client, url, delimiter="/", limit=1)), None)
        if first == url.key:
            return [_single(path, format_override)]
        directory = s3.S3Url(url.bucket, url.key + "/")
    else:
        directory = url
    keys = [k for k in s3.list_keys(client, directory, delimiter="/") if not k.endswith("/")]
    if not keys:
        raise NotFoundError(f"path {path} matches no file")
    return _select(path, [str(s3.S3Url(url.bucket, k)) for k in keys], format_override)


def _single(uri: str, format_override: str | None) -> FileLocation:
    file_format = format_override or format_of(uri.rsplit("/", 1)[-1])
    if file_format is None:
        raise unsupported_extension(uri)
    return FileLocation(uri, file_format)


def _select(path: str, uris: Iterable[str], format_override: str | None) -> list[FileLocation]:
    """The files of a directory listing or glob match that the connector loads."""
    candidates = sorted(uri for uri in uris if not _file_name(uri).startswith(_SKIPPED_PREFIXES))
    if not candidates:
        raise NotFoundError(f"path {path} matches no file")
    chosen = [
        FileLocation(uri, file_format)
        for uri in candidates
        if (file_format := format_override or format_of(_file_name(uri)))
    ]
    if not chosen:
        supported = ", ".join(EXTENSIONS)
        raise AtsparkError(
            f"path {path} matches no supported file ({supported}); "
            f"it matches {len(candidates)} other file(s), "
            "set the connection's format field to read them"
        )
    return chosen


def _file_name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1] if s3.is_s3(uri) else os.path.basename(uri)


def _check_streams(found: list[FileLocation]) -> None:
    """Refuse two files landing in one stream, and files whose name gives no stream name."""
    by_stream: dict[str, FileLocation] = {}
    for location in found:
        name = location.stream
        if not name:
            raise AtsparkError(f"cannot derive a stream name from file {location.uri}")
        other = by_stream.setdefault(name, location)
        if other is not location:
            raise AtsparkError(
                f"files {other.uri} and {location.uri} would both load into stream {name!r}: "
                "rename one of them or narrow the connection's path"
            )


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over S3 keys as a regex: ``*``, ``?`` and ``[...]`` stay in one path segment,
    ``**`` crosses segments."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\")
            body = "\\" + body if body.startswith("^") else body
            out.append("[" + ("^" if negate else "") + body + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)

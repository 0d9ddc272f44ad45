"""Where backups are kept: a local directory or an S3 bucket, holding named opaque objects.

A target is configured as ``file:///PATH`` or ``s3://BUCKET/PREFIX`` and shows as that text again
(``url``); neither form carries credentials: AWS's come from its default chain. Object names are
``/``-separated segments of letters, digits, ``.``, ``_`` and ``-``, each starting with a letter or
a digit, so a name means the same object on every target and can never leave it.
"""

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from governance.audit_sinks.aws import aws_errors, client
from governance.audit_sinks.s3 import S3Destination
from governance.errors import AtsparkError, NotFoundError
from governance.settings import Settings

EXPECTED = "file:///PATH or s3://BUCKET/PREFIX"
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_NAME = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_PRIVATE_DIR = 0o700


@dataclass(frozen=True)
class StoredObject:
    name: str
    """Relative, ``/``-separated: ``acme/objects/ab12...``."""
    size: int
    modified: datetime
    """Aware, UTC."""
    retain_until: datetime | None = None
    """Until when Object Lock keeps the object, on a target that has it."""


class BackupTarget(Protocol):
    url: str
    """As configured, without credentials."""

    def put(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None: ...

    def get(self, name: str) -> bytes: ...

    def exists(self, name: str) -> bool: ...

    def list(self, prefix: str = "") -> list[StoredObject]: ...

    def delete(self, name: str) -> None: ...

    @property
    def locks(self) -> bool:
        """Whether objects put with ``retain_until`` are locked until then (Object Lock)."""
        ...


def check_name(name: str) -> str:
    """``name`` if it is a valid object name; otherwise an error saying what one looks like."""
    if not _NAME.fullmatch(name):
        raise AtsparkError(
            "a backup object name is /-separated segments of letters, digits, '.', '_' and '-', "
            f"each starting with a letter or digit, not {name!r}"
        )
    return name


def check_prefix(prefix: str) -> str:
    """``prefix`` if some valid name starts with it (the empty prefix does)."""
    if prefix:
        check_name(prefix + "x")
    return prefix


class FileTarget:
    """A local directory: objects are files written whole (a temporary file, fsynced, then
    renamed over the old one); directories are private to the owner (0700), files too (0600).
    It has no Object Lock: ``retain_until`` is ignored."""

    locks = False

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = f"file://{self.root}"

    def _path(self, name: str) -> Path:
        """Where object ``name`` lives: never outside the root, whatever links lie on the way."""
        path = self.root / check_name(name)
        if not path.resolve().is_relative_to(self.root):
            raise AtsparkError(f"{self.url}: {name} leads outside the backup directory")
        return path

    def put(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None:
        path = self._path(name)
        try:
            _make_private_dirs(path.parent)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _fsync_dir(path.parent)
        except OSError as error:
            raise AtsparkError(f"cannot write {name} to {self.url} ({error.strerror})") from None

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"{self.url} has no {name}") from None
        except OSError as error:
            raise AtsparkError(f"cannot read {name} from {self.url} ({error.strerror})") from None

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def list(self, prefix: str = "") -> list[StoredObject]:
        """The objects whose names start with ``prefix``, by name; none under a missing one."""
        base = self.root / check_prefix(prefix).rpartition("/")[0]
        found = []
        for directory, _, files in os.walk(base):
            relative = Path(directory).relative_to(self.root)
            for file in files:
                name = (relative / file).as_posix()
                if not file.startswith(".") and name.startswith(prefix):
                    stat = (self.root / name).stat()
                    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                    found.append(StoredObject(name, stat.st_size, modified))
        return sorted(found, key=lambda stored: stored.name)

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as error:
            raise AtsparkError(f"cannot delete {name} from {self.url} ({error.strerror})") from None


def _make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each 0700 whatever the umask."""
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for created in reversed(missing):
        created.mkdir(mode=_PRIVATE_DIR, exist_ok=True)
        created.chmod(_PRIVATE_DIR)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class S3Target:
    """Objects under ``PREFIX/`` in an S3 bucket. S3 checks every upload against its SHA-256.
    Where the bucket has Object Lock, an object put with ``retain_until`` is locked in
    compliance mode until then: nobody, root included, can delete that version before."""

    def __init__(
        self, destination: S3Destination, settings: Settings, *, page_size: int = 1000
    ) -> None:
        self.bucket = destination.bucket
        self.prefix = destination.prefix
        self.url = str(destination)
        self.page_size = page_size
        self._s3 = client(settings, "s3")

    @cached_property
    def locks(self) -> bool:
        """Whether the bucket has Object Lock enabled (asked once)."""
        with aws_errors(self.url):
            try:
                found = self._s3.get_object_lock_configuration(Bucket=self.bucket)
            except ClientError as error:
                if _code(error) == "ObjectLockConfigurationNotFoundError":
                    return False
                raise
        return found["ObjectLockConfiguration"].get("ObjectLockEnabled") == "Enabled"

    @property
    def versioned(self) -> bool:
        """Whether the bucket keeps every version of an object (versioning enabled)."""
        with aws_errors(self.url):
            status = self._s3.get_bucket_versioning(Bucket=self.bucket).get("Status")
        return status == "Enabled"

    def put(self, name: str, data: bytes, *, retain_until: datetime | None = None) -> None:
        key = self._key(check_name(name))
        lock = {}
        if retain_until is not None and self.locks:
            lock = {
                "ObjectLockMode": "COMPLIANCE",
                "ObjectLockRetainUntilDate": _utc(retain_until),
            }
        with aws_errors(self.url):
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/octet-stream",
                ChecksumAlgorithm="SHA256",
                **lock,
            )

    def get(self, name: str) -> bytes:
        with aws_errors(self.url):
            try:
                found = self._s3.get_object(
                    Bucket=self.bucket, Key=self._key(check_name(name)), ChecksumMode="ENABLED"
                )
            except ClientError as error:
                if _code(error) == "NoSuchKey":
                    raise NotFoundError(f"{self.url} has no {name}") from None
                raise
            return found["Body"].read()

    def exists(self, name: str) -> bool:
        # the smallest key starting with the object's key is the object's own, when it exists
        key = self._key(check_name(name))
        with aws_errors(self.url):
            page = self._s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in page.get("Contents", []))

    def list(self, prefix: str = "") -> list[StoredObject]:
        """The objects whose names start with ``prefix``, by name, from every page; where the
        bucket has Object Lock, each with its retention (one HeadObject each)."""
        start = len(self._key(""))
        with aws_errors(self.url):
            found = [
                StoredObject(
                    item["Key"][start:],
                    item["Size"],
                    _utc(item["LastModified"]),
                    self._retained_until(item["Key"]) if self.locks else None,
                )
                for item in self._pages(
                    "list_objects_v2", "Contents", Prefix=self._key(check_prefix(prefix))
                )
            ]
        return sorted(found, key=lambda stored: stored.name)

    def delete(self, name: str) -> None:
        """Remove every version of ``name`` (a versioned bucket would keep the old ones);
        refused while Object Lock retains one."""
        key = self._key(check_name(name))
        with aws_errors(self.url):
            for kind in ("Versions", "DeleteMarkers"):
                for version in self._pages("list_object_versions", kind, Prefix=key):
                    if version["Key"] == key:
                        self._delete_version(name, key, version["VersionId"])

    def _delete_version(self, name: str, key: str, version: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        except ClientError as error:
            if _code(error) != "AccessDenied":
                raise
            until = self._retained_until(key, version)
            if until is not None and until > datetime.now(UTC):
                raise AtsparkError(
                    f"cannot delete {name} from {self.url}: Object Lock retains it until "
                    f"{until:%Y-%m-%d %H:%M:%S} UTC"
                ) from None
            raise

    def _retained_until(self, key: str, version: str | None = None) -> datetime | None:
        which = {"VersionId": version} if version else {}
        head = self._s3.head_object(Bucket=self.bucket, Key=key, **which)
        until = head.get("ObjectLockRetainUntilDate")
        return until and _utc(until)

    def _pages(self, operation: str, field: str, **arguments: Any) -> Iterator[dict]:
        pages = self._s3.get_paginator(operation).paginate(
            Bucket=self.bucket, PaginationConfig={"PageSize": self.page_size}, **arguments
        )
        for page in pages:
            yield from page.get(field, [])

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime: give one with its time zone")
    return moment.astimezone(UTC)


def target_from_url(url: str | None, settings: Settings) -> BackupTarget:
    """The target ``url`` names; unset: ``backups`` under the platform's home. A mistake is one
    line that never echoes the URL whole."""
    if url is None:
        return FileTarget(settings.home / "backups")
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower() if separator else ""
    if scheme == "file":
        path = Path(rest)
        if not path.is_absolute() or ".." in path.parts:
            raise AtsparkError("file:// needs an absolute path without '..' (file:///PATH)")
        return FileTarget(path)
    if scheme == "s3":
        return S3Target(S3Destination.parse(rest), settings)
    raise AtsparkError(f"a backup target looks like {EXPECTED}")

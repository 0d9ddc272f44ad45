"""Snapshot publishing: one writer at a time per tenant, readers always see the last commit.

A tenant's warehouse is a directory of immutable encrypted DuckDB files. A write copies the current
snapshot to a private file, changes it, and publishes it by atomically replacing the ``CURRENT``
pointer. Readers open the published file read-only, so they never meet a writer's lock, and past
snapshots are kept for point-in-time recovery.
"""

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SNAPSHOT_SUFFIX = ".duckdb"


@dataclass(frozen=True)
class Snapshot:
    """A published, immutable version of a tenant's warehouse."""

    sequence: int
    published_at: datetime
    path: Path

    @classmethod
    def from_path(cls, path: Path) -> "Snapshot":
        sequence, micros = path.stem.split("-")
        published = datetime.fromtimestamp(int(micros) / 1e6, tz=UTC)
        return cls(int(sequence), published, path)


@dataclass
class Draft:
    """A writer's private copy; ``published`` names the snapshot it became, once it has."""

    path: Path
    published: Snapshot | None = None

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log beside the draft, present while a connection has it open."""
        return self.path.with_name(self.path.name + ".wal")


class SnapshotStore:
    """The snapshots, pointer and locks of one tenant's warehouse directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snapshots_dir = directory / "snapshots"
        self.pointer = directory / "CURRENT"
        self.locks_dir = directory / "locks"

    def create(self) -> None:
        for folder in (self.directory, self.snapshots_dir, self.locks_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def current(self) -> Snapshot | None:
        """The last published snapshot, or None before the first publish."""
        try:
            name = json.loads(self.pointer.read_text())["snapshot"]
        except FileNotFoundError:
            return None
        return Snapshot.from_path(self.snapshots_dir / name)

    def history(self) -> list[Snapshot]:
        """Every retained snapshot, oldest first."""
        return sorted(
            (Snapshot.from_path(p) for p in self.snapshots_dir.glob(f"*{SNAPSHOT_SUFFIX}")),
            key=lambda s: s.sequence,
        )

    def as_of(self, moment: datetime) -> Snapshot | None:
        """The snapshot that was current at ``moment`` (the basis of point-in-time recovery)."""
        eligible = [s for s in self.history() if s.published_at <= moment]
        return eligible[-1] if eligible else None

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive, blocking inter-process lock: callers queue, none fails."""
        self.locks_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.locks_dir / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        with os.fdopen(descriptor) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writing(self) -> Iterator[Draft]:
        """Hold the tenant's write lock and yield a private copy of the current snapshot.

        When the block ends normally the copy (its connection closed by the caller) is published;
        when it raises, the copy is discarded and readers never see it.
        """
        with self.lock("write"):
            self._discard_unpublished()
            draft = Draft(self.snapshots_dir / f"draft-{uuid.uuid4().hex}")
            current = self.current()
            if current is not None:
                shutil.copyfile(current.path, draft.path)
            try:
                yield draft
                draft.published = self._publish(draft, current)
            finally:
                for leftover in (draft.path, draft.wal):
                    leftover.unlink(missing_ok=True)

    def prune(self, older_than: datetime) -> list[Snapshot]:
        """Delete the snapshots no moment from ``older_than`` on needs.

        Those published before it go, except the one current at ``older_than``: it holds the
        state of every moment from then until the next publish (and may be the current one).
        """
        kept = self.as_of(older_than)
        removed = [s for s in self.history() if s.published_at < older_than and s != kept]
        for snapshot in removed:
            snapshot.path.unlink(missing_ok=True)
        return removed

    def _publish(self, draft: Draft, previous: Snapshot | None) -> Snapshot:
        if draft.wal.exists():
            raise RuntimeError("snapshot draft still has a write-ahead log: close it first")
        sequence = (previous.sequence + 1) if previous else 1
        micros = max(time.time_ns() // 1000, _micros(previous) + 1)
        final = self.snapshots_dir / f"{sequence:010d}-{micros}{SNAPSHOT_SUFFIX}"
        os.chmod(draft.path, 0o600)
        _fsync(draft.path)
        os.replace(draft.path, final)
        _atomic_write(self.pointer, json.dumps({"snapshot": final.name}))
        return Snapshot.from_path(final)

    def _discard_unpublished(self) -> None:
        """Remove drafts left behind by a writer that crashed while holding the lock."""
        for draft in self.snapshots_dir.glob("draft-*"):
            draft.unlink(missing_ok=True)


def _micros(snapshot: Snapshot | None) -> int:
    return int(snapshot.published_at.timestamp() * 1e6) if snapshot else 0


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _atomic_write(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with os.fdopen(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)

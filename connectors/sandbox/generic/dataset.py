"""The generic simulator's data: deterministic records for every stream of a spec.

Each stream holds enough records for its paginator to turn pages; child streams hold a few per
parent record. Cursor fields increase with the record, written as the spec says (ISO 8601, unix
seconds or milliseconds, dates). :meth:`Dataset.advance` adds records and updates some, moving
their cursors past everything before, as a vendor's data moves between two loads.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.declarative import spec as s
from connectors.declarative.engine import written

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(hours=1)
CHILDREN_PER_PARENT = 3
MAX_PARENTS = 25
"""A parent stream holds at most this many records: each costs its children a request."""
WORDS = (
    "alpha",
    "bravo",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "gamma",
    "harbor",
    "indigo",
    "juniper",
)


def page_size(spec: s.ConnectorSpec, stream: s.Stream, default: int) -> int:
    """The page size the stream's requests ask for, when its paginator fixes one."""
    paginator = stream.paginator or spec.defaults.paginator
    if isinstance(paginator, s.OffsetPaginator):
        return paginator.limit
    if isinstance(paginator, s.PageNumberPaginator) and paginator.page_size:
        return paginator.page_size
    return default


@dataclass
class Dataset:
    spec: s.ConnectorSpec
    seed: int = 42
    server_page_size: int = 10
    """Records per page where the server decides (cursors, links, page numbers without size)."""
    records_per_stream: int | None = None
    """Records of each top-level stream; by default enough for two pages and a bit."""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _clock: datetime = START
    _serial: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.records = {stream.name: [] for stream in self.spec.streams}
        for stream in self.spec.streams:
            if stream.parent:
                continue  # made with each parent record
            size = self.records_per_stream or (
                2 * page_size(self.spec, stream, self.server_page_size) + 3
            )
            if self.spec.children(stream.name):
                size = min(size, MAX_PARENTS)
            for _ in range(size):
                self._add_with_children(stream, self._add(stream, None))

    def children(self, stream: s.Stream, parent_value: str) -> list[dict[str, Any]]:
        return [r for r in self.records[stream.name] if str(r["_parent"]) == parent_value]

    def advance(self, new: int = 3, updated: int = 2) -> None:
        """Add ``new`` records to every top-level stream and move ``updated`` existing ones."""
        for stream in self.spec.streams:
            if stream.parent:
                continue
            rows = self.records[stream.name]
            for row in rows[:updated] if stream.key_columns else ():  # events never change
                self._touch(stream, row)
            for _ in range(new):
                self._add_with_children(stream, self._add(stream, None))

    def _add_with_children(self, stream: s.Stream, parent: dict[str, Any]) -> None:
        for child in self.spec.children(stream.name):
            assert child.parent is not None
            for _ in range(CHILDREN_PER_PARENT):
                self._add_with_children(child, self._add(child, parent[child.parent.field]))

    def _add(self, stream: s.Stream, parent: Any) -> dict[str, Any]:
        self._serial += 1
        row: dict[str, Any] = {"_parent": parent}
        for column, kind in stream.columns.items():
            row[column] = self._value(stream, column, kind)
        self._touch(stream, row)
        self.records[stream.name].append(row)
        return row

    def _touch(self, stream: s.Stream, row: dict[str, Any]) -> None:
        self._clock += STEP
        if stream.incremental:
            row[stream.incremental.cursor_path] = written(stream.incremental.format, self._clock)
        for column, kind in stream.columns.items():
            if kind == "text" and column not in stream.key_columns:
                row[column] = f"{self._random.choice(WORDS)} {self._serial}"
                break

    def _unique(self, stream: s.Stream, kind: str, serial: int) -> Any:
        """A key value no other record of the stream has."""
        match kind:
            case "bigint" | "double" | "decimal":
                return serial
            case "date":
                return written("date", START + serial * 24 * STEP)
            case "timestamp":
                return written("iso8601", START + serial * STEP)
        return f"{stream.name[:3]}_{self.seed}_{serial:06d}"

    def _value(self, stream: s.Stream, column: str, kind: str) -> Any:
        serial, rng = self._serial, self._random
        if column in stream.key_columns:
            return self._unique(stream, kind, serial)
        match kind:
            case "bigint":
                return rng.randint(0, 100_000)
            case "double":
                return round(rng.uniform(0, 10_000), 2)
            case "decimal":
                return round(rng.uniform(0, 10_000), 2)
            case "bool":
                return rng.random() < 0.5
            case "timestamp":
                return written("iso8601", START + rng.randint(0, 8760) * STEP)
            case "date":
                return written("date", START + rng.randint(0, 365) * 24 * STEP)
            case "json":
                return {"id": f"ref_{rng.randint(1, 999)}", "type": rng.choice(WORDS)}
        return f"{rng.choice(WORDS)} {rng.choice(WORDS)}"

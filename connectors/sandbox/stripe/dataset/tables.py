"""A resource's records while the simulation runs, and the served :class:`Table` they become."""

import bisect
import operator
import threading
from collections.abc import Iterator
from typing import Any

from connectors.sandbox.stripe.dataset.constants import RESOURCES
from connectors.sandbox.stripe.dataset.encoding import dumps, no_gc
from connectors.sandbox.stripe.dataset.records import Context, Render


class TableBuilder:
    """Records of one resource, as parallel columns of atomic values (cheap for the GC)."""

    __slots__ = ("args", "attrs", "created", "ids", "renders", "resource")

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.created: list[int] = []
        self.ids: list[str] = []
        self.renders: list[Render] = []
        self.args: list[tuple[Any, ...]] = []
        self.attrs: list[tuple[Any, ...]] = []

    def add(
        self,
        created: int,
        object_id: str,
        render: Render,
        args: tuple[Any, ...],
        attrs: tuple[Any, ...],
    ) -> int:
        """Record an object built by ``render(context, *args)``; ``attrs`` are its filter
        values. Returns the record's number."""
        self.created.append(created)
        self.ids.append(object_id)
        self.renders.append(render)
        self.args.append(args)
        self.attrs.append(attrs)
        return len(self.ids) - 1


class Table:
    """One resource's objects, newest first, serialized once into one contiguous buffer.

    Positions index the list order (0 = newest). Lookups by id and the equality-filter
    indexes are built on first use; :meth:`render` serializes every object (also on first use).
    """

    def __init__(self, builder: TableBuilder, context: Context) -> None:
        self.resource = builder.resource
        self.object_name, self.filters = RESOURCES[self.resource]
        created = builder.created
        # Newest first; the stable sort keeps ties in creation order.
        order = sorted(range(len(created)), key=created.__getitem__, reverse=True)
        self.ids: list[str] = [builder.ids[i] for i in order]
        self.created: list[int] = [created[i] for i in order]
        """``created`` of each object (``date`` for invoice items), descending."""
        self._attrs: list[tuple[Any, ...]] = [builder.attrs[i] for i in order]
        self._records: tuple[list[int], TableBuilder, Context] | None = (order, builder, context)
        self._position: dict[str, int] | None = None
        self._indexes: dict[str, dict[str, list[int]]] = {}
        self._buffer: memoryview | None = None
        self._offsets: list[int] = []
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.ids)

    # ---- serialization -----------------------------------------------------------------------

    @property
    def rendered(self) -> bool:
        return self._buffer is not None

    def render(self) -> None:
        """Serialize every object to JSON once (idempotent, thread-safe)."""
        if self._buffer is not None:
            return
        with self._lock:
            if self._buffer is not None:
                return
            assert self._records is not None
            order, builder, context = self._records
            renders, args = builder.renders, builder.args
            buffer = bytearray()
            offsets = [0]
            append = offsets.append
            with no_gc():
                for i in order:
                    buffer += dumps(renders[i](context, *args[i]))
                    append(len(buffer))
            self._offsets = offsets
            self._buffer = memoryview(buffer).toreadonly()
            self._records = None  # the records are no longer needed

    def json(self, at: int) -> bytes:
        """The JSON bytes of the object at position ``at``."""
        self.render()
        assert self._buffer is not None
        return self._buffer[self._offsets[at] : self._offsets[at + 1]].tobytes()

    def join(self, positions: list[int], separator: bytes = b",") -> bytes:
        """The JSON of the objects at ``positions`` joined by ``separator``."""
        self.render()
        buffer, offsets = self._buffer, self._offsets
        assert buffer is not None
        return separator.join([buffer[offsets[at] : offsets[at + 1]] for at in positions])

    def __iter__(self) -> Iterator[bytes]:
        """Each object's JSON bytes, newest first."""
        for at in range(len(self.ids)):
            yield self.json(at)

    # ---- lookups -----------------------------------------------------------------------------

    @property
    def position(self) -> dict[str, int]:
        """id -> position."""
        position = self._position
        if position is None:
            with self._lock:
                position = self._position
                if position is None:
                    position = {object_id: at for at, object_id in enumerate(self.ids)}
                    if len(position) != len(self.ids):
                        raise AssertionError(f"duplicate ids in {self.resource}")
                    self._position = position
        return position

    def index(self, name: str) -> dict[str, list[int]]:
        """Equality filter ``name``: value -> ascending positions of the matching objects."""
        index = self._indexes.get(name)
        if index is None:
            column = self.filters.index(name)
            with self._lock:
                index = self._indexes.get(name)
                if index is None:
                    index = {}
                    for at, attrs in enumerate(self._attrs):
                        value = attrs[column]
                        if value is not None:
                            if value in index:
                                index[value].append(at)
                            else:
                                index[value] = [at]
                    self._indexes[name] = index
        return index

    def get(self, object_id: str) -> bytes | None:
        at = self.position.get(object_id)
        return None if at is None else self.json(at)

    def created_window(
        self,
        gte: int | None = None,
        gt: int | None = None,
        lte: int | None = None,
        lt: int | None = None,
    ) -> tuple[int, int]:
        """Positions ``[lo, hi)`` of the objects whose created satisfies every bound."""
        created = self.created
        lo, hi = 0, len(created)
        # ``created`` is descending: bisect on its negation, which ascends.
        if gte is not None:
            hi = min(hi, bisect.bisect_right(created, -gte, key=operator.neg))
        if gt is not None:
            hi = min(hi, bisect.bisect_left(created, -gt, key=operator.neg))
        if lte is not None:
            lo = max(lo, bisect.bisect_left(created, -lte, key=operator.neg))
        if lt is not None:
            lo = max(lo, bisect.bisect_right(created, -lt, key=operator.neg))
        return lo, max(lo, hi)

    def page(
        self,
        limit: int,
        lo: int = 0,
        hi: int | None = None,
        *,
        starting_after: int | None = None,
        ending_before: int | None = None,
        candidates: list[int] | None = None,
    ) -> tuple[list[int], bool]:
        """Positions of one page, newest first, and whether more objects lie beyond it.

        ``candidates`` (ascending positions) restricts the page to the objects equality
        filters selected. With ``ending_before`` the page is the ``limit`` objects just newer
        than the cursor and ``has_more`` tells whether still newer ones exist, as in Stripe.
        """
        hi = len(self.ids) if hi is None else hi
        if starting_after is not None:
            lo = max(lo, starting_after + 1)
        if ending_before is not None:
            hi = min(hi, ending_before)
        seq: list[int] | range
        if candidates is None:
            seq = range(len(self.ids))
            a, b = lo, max(lo, hi)
        else:
            seq = candidates
            a = bisect.bisect_left(candidates, lo)
            b = max(a, bisect.bisect_left(candidates, hi))
        if ending_before is not None and starting_after is None:
            start = max(a, b - limit)
            return list(seq[start:b]), start > a
        end = min(b, a + limit)
        return list(seq[a:end]), end < b

"""What a question asks of the metric catalog: a metric, grain, dimensions, range, filters."""

from dataclasses import dataclass
from datetime import date

GRAINS = ("day", "week", "month", "quarter", "year")
"""Time grains: with one, a metric answers one row per period (its first day, ``period``)."""


@dataclass(frozen=True)
class TimeRange:
    """The days ``start`` (inclusive) to ``end`` (exclusive), as the question named them."""

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a time range ends after it starts ({self.start} to {self.end})")


@dataclass(frozen=True)
class MetricQuery:
    """One question to the catalog.

    ``metric`` and ``dimensions`` are catalog names; ``filters`` are (dimension, value) equalities;
    ``order`` (``desc`` or ``asc``) sorts by the metric's value and ``limit`` keeps the first rows.
    Without ``time_range``: with a grain, the last 12 complete months; without, flow metrics
    cover all time, stock metrics are read as of today, movements cover the last complete month.
    """

    metric: str
    grain: str | None = None
    dimensions: tuple[str, ...] = ()
    time_range: TimeRange | None = None
    filters: tuple[tuple[str, str], ...] = ()
    order: str | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.grain is not None and self.grain not in GRAINS:
            raise ValueError(f"unknown grain {self.grain!r} (known: {', '.join(GRAINS)})")
        if self.order not in (None, "asc", "desc"):
            raise ValueError(f"order is 'asc' or 'desc', not {self.order!r}")
        if self.limit is not None and self.limit < 1:
            raise ValueError("a limit keeps at least one row")

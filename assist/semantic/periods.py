"""The periods a metric query reads: calendar periods of its grain, clipped to its range."""

from datetime import UTC, date, datetime, timedelta

from assist.semantic.query import MetricQuery, TimeRange

Period = tuple[date, int, int]
"""(the period's first calendar day, its clipped start, its clipped end), in unix seconds."""


def period_start(day: date, grain: str) -> date:
    """The first day of the ``grain`` period holding ``day`` (weeks start on Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def next_period(start: date, grain: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_complete_months(today: date, count: int) -> TimeRange:
    """The ``count`` calendar months before the one holding ``today``."""
    end = today.replace(day=1)
    index = end.year * 12 + end.month - 1 - count
    return TimeRange(date(index // 12, index % 12 + 1, 1), end)


def effective_range(query: MetricQuery, kind: str, today: date) -> TimeRange | None:
    """The range a query reads, its defaults filled in; None: all time (a flow without grain)."""
    if query.time_range is not None:
        return query.time_range
    if query.grain is not None:
        return last_complete_months(today, 12)
    if kind == "stock":
        return TimeRange(today, today + timedelta(days=1), "today")
    if kind == "movement":
        return last_complete_months(today, 1)
    return None


def epoch(day: date) -> int:
    """Midnight UTC at the start of ``day``, in unix seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def periods(time_range: TimeRange, grain: str | None) -> list[Period]:
    """The range's periods: one for the whole range without a grain."""
    if grain is None:
        return [(time_range.start, epoch(time_range.start), epoch(time_range.end))]
    found = []
    start = period_start(time_range.start, grain)
    while start < time_range.end:
        following = next_period(start, grain)
        clipped = (max(start, time_range.start), min(following, time_range.end))
        found.append((start, epoch(clipped[0]), epoch(clipped[1])))
        start = following
    return found

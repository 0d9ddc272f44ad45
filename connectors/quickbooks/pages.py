"""What one QuickBooks stream reads in a run: changes by change data capture, or query pages.

Change data capture (``/cdc``) answers every change of an entity since a moment within the last
30 days in one response, deleted entities as tombstones, but at most 1,000 objects. So a run
whose cursor, from an earlier load, is within the window (and whose entity CDC covers) asks CDC
first; when the answer may be cut off at 1,000 it keeps its tombstones and reads the changes
from the query endpoint, as a first run and a run after more than 30 days do. Deletions older
than the window cannot be seen by any endpoint: a connection left unloaded that long keeps such
rows until reloaded whole.

Query pages are ordered by ``MetaData.LastUpdatedTime`` and walk by that time rather than by
offset: each page asks from the last time seen, and skips the entities of that moment it already
has (as they were then: one saved again since is read again). An entity updated during the run
moves to the end of the order; with offsets that shift would skip one not yet read, which the
next run, starting from a later cursor, would never see. Only a single moment holding a page or
more of entities is walked by offset.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.quickbooks.api import QuickBooksApi
from connectors.quickbooks.streams import DELETED, QuickBooksStream

PAGE_SIZE = 1000
"""Intuit's largest MAXRESULTS."""
CDC_LIMIT = 1000
"""The most objects a change-data-capture response holds; as many may mean more were cut."""
CDC_WINDOW = timedelta(days=30) - timedelta(hours=1)
"""How far back change data capture reaches (30 days), less a margin for the run's length."""

Records = list[dict[str, Any]]


def changed_records(
    api: QuickBooksApi, stream: QuickBooksStream, since: datetime | None, loaded: bool
) -> Iterator[Records]:
    """The stream's entities changed at or after ``since`` (all when None), in batches; by
    change data capture only when the stream was ``loaded`` before (a first run, even from a
    recent start date, reads the query endpoint)."""
    recent = since is not None and datetime.now(UTC) - since < CDC_WINDOW
    if loaded and recent and stream.captured:
        changed = api.changes(stream.entity, intuit_moment(since))
        if len(changed) < CDC_LIMIT:
            yield changed
            return
        yield [record for record in changed if record.get(DELETED) == "Deleted"]
    yield from query_pages(api, stream, since)


def query_pages(
    api: QuickBooksApi, stream: QuickBooksStream, since: datetime | None
) -> Iterator[Records]:
    """Every entity updated at or after ``since``, a page at a time, ordered by update time
    (tax codes and rates, which cannot be filtered so, all of them by offset)."""
    bound, start, seen = since, 1, set[tuple[str, datetime]]()
    while True:
        page = api.query(stream.entity, select(stream, bound, start))
        fresh = [record for record in page if (record["Id"], updated_at(record)) not in seen]
        if fresh:
            yield fresh
        if len(page) < PAGE_SIZE:
            return
        last = updated_at(page[-1])
        if not stream.filtered or last == bound:  # one moment fills the page: step inside it
            seen.update((record["Id"], updated_at(record)) for record in page)
            start += len(page)
        else:
            bound, start = last, 1
            seen = {(r["Id"], last) for r in page if updated_at(r) == last}


def select(stream: QuickBooksStream, since: datetime | None, start: int) -> str:
    """The query statement of one page."""
    conditions = []
    if stream.name_list:
        conditions.append("Active IN (true, false)")
    if stream.filtered and since is not None:
        conditions.append(f"MetaData.LastUpdatedTime >= '{intuit_moment(since)}'")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = " ORDERBY MetaData.LastUpdatedTime" if stream.filtered else ""
    return (
        f"SELECT * FROM {stream.entity}{where}{order} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
    )


def intuit_moment(moment: datetime) -> str:
    """A moment as Intuit writes date-times: to the second, with its UTC offset."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def updated_at(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["MetaData"]["LastUpdatedTime"])

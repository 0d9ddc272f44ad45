"""Reading a CRM object's records modified since a moment through HubSpot's search API, past the
API's cap of 10,000 results a search.

A search filters on the modification-time property (``>=`` the cursor), sorts ascending by it
and pages with ``after`` (an offset), 200 records a page. No search answers past its 10,000th
result (``after`` >= 10,000 is refused), so before paging would pass it a new search starts from
the latest modification moment seen; the records of that moment already read come again and
are dropped by id. Were a whole search's 10,000 records modified at one moment (a bulk update),
starting again from it would never get further: that moment's records are then read by id
(``hs_object_id`` > the last one read, sorted by it), and the search goes on after the moment.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from governance.errors import AtsparkError

PAGE_SIZE = 200
"""HubSpot's largest search page."""
RESULT_CAP = 10_000
"""No search answers past this many results."""
OBJECT_ID = "hs_object_id"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Search = Callable[[dict[str, Any]], dict[str, Any]]
"""One search request: its body in, HubSpot's answer out."""
Record = dict[str, Any]


def modified_since(
    search: Search, modified: str, properties: list[str], since: int | None
) -> Iterator[list[Record]]:
    """Every record modified at or after ``since`` (epoch milliseconds; every record when
    None), oldest first, each once, a page at a time."""
    operator, moment = "GTE", since
    seen: set[str] = set()  # the records modified at ``moment`` already read
    while True:
        window = _Pages(search, _from(modified, operator, moment), modified, properties)
        newest = _Newest(modified, moment, seen)
        for page in window:
            if fresh := newest.take(page):
                yield fresh
        if not window.capped:
            return
        if newest.moment != moment:
            operator, moment, seen = "GTE", newest.moment, newest.ids
            continue
        yield from _one_moment(search, modified, properties, moment, newest.ids)
        operator, seen = "GT", set()


def _from(modified: str, operator: str, moment: int | None) -> list[dict[str, str]]:
    return [] if moment is None else [_filter(modified, operator, moment)]


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _one_moment(
    search: Search, modified: str, properties: list[str], moment: int, seen: set[str]
) -> Iterator[list[Record]]:
    """The records modified at ``moment`` not yet read, by ascending id."""
    after_id = 0
    while True:
        at_moment = [_filter(modified, "EQ", moment), _filter(OBJECT_ID, "GT", after_id)]
        window = _Pages(search, at_moment, OBJECT_ID, properties)
        for page in window:
            if page:
                after_id = int(page[-1]["id"])
            if fresh := [record for record in page if record["id"] not in seen]:
                yield fresh
        if not window.capped:
            return


class _Pages:
    """The pages of one search, until its results end or the next page would pass the cap
    (then ``capped``). The next page is asked for while the current one is taken in: one
    request at a time still, but never idle while records are converted and written."""

    def __init__(
        self, search: Search, filters: list[dict[str, str]], sort: str, properties: list[str]
    ) -> None:
        self._search = search
        self._body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}] if filters else [],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": PAGE_SIZE,
            "after": "0",
        }
        self.capped = False

    def __iter__(self) -> Iterator[list[Record]]:
        read = 0
        with ThreadPoolExecutor(1, thread_name_prefix="hubspot-search") as asking:
            pending: Future | None = asking.submit(self._search, self._body)
            while pending is not None:
                answer = pending.result()
                page = answer.get("results") or []
                read += len(page)
                after = ((answer.get("paging") or {}).get("next") or {}).get("after")
                pending = None
                if after and page and read < RESULT_CAP:
                    self._body = {**self._body, "after": after}
                    pending = asking.submit(self._search, self._body)
                self.capped = bool(after and page) and read >= RESULT_CAP
                yield page


class _Newest:
    """What a search has reached: the latest modification moment and the ids read at it. Drops
    the records of the moment it starts from that were read before (they lead its results).
    Only records at the edges of a page are looked at: the results are sorted by the moment."""

    def __init__(self, modified: str, start: int | None, seen: set[str]) -> None:
        self._modified = modified
        self._start, self._seen = start, seen
        self._leading = bool(seen)
        self.moment, self.ids = start, set(seen)

    def take(self, page: list[Record]) -> list[Record]:
        fresh = self._unseen(page) if self._leading else page
        if not fresh:
            return fresh
        last = self._at(fresh[-1])
        at_last = []
        for record in reversed(fresh):
            if self._at(record) != last:  # the page went past every moment before ``last``
                self.moment, self.ids = last, set(at_last)
                return fresh
            at_last.append(record["id"])
        if last != self.moment:
            self.moment, self.ids = last, set()
        self.ids.update(at_last)
        return fresh

    def _unseen(self, page: list[Record]) -> list[Record]:
        for index, record in enumerate(page):
            if self._at(record) != self._start:
                self._leading = False
                return [r for r in page[:index] if r["id"] not in self._seen] + page[index:]
        return [record for record in page if record["id"] not in self._seen]

    def _at(self, record: Record) -> int:
        return epoch_ms(_modified_at(record, self._modified))


def _modified_at(record: Record, modified: str) -> str:
    value = (record.get("properties") or {}).get(modified)
    if not isinstance(value, str) or not value:
        raise AtsparkError(f"HubSpot returned a record without {modified}")
    return value


def epoch_ms(moment: datetime | str) -> int:
    """Milliseconds since 1970 of a moment (ISO 8601 text or a datetime; UTC unless it says)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            raise AtsparkError(
                "HubSpot returned a modification time that is not ISO 8601"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(milliseconds=1)

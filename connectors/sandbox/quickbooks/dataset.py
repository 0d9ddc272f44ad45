"""The QuickBooks sandbox's company: its entities, deterministic by seed, and how they change.

A year of business (or ``history_days``) is made up front, ending now (or ``age_days`` ago):
the chart of accounts and the other lists first, then customers, vendors and employees, then
transactions in the proportions of ``records.TRANSACTION_MIX``; a fifth of everything is edited
later on.
Times are to the second in the company's zone (``-08:00``), and entities saved together share
one. :meth:`Company.advance` moves the company as between two loads: it edits some entities,
adds some and deletes some, all at the current second: of the entities it makes more of
(customers, vendors, employees and transactions), the people made inactive rather than deleted,
as QuickBooks does.
"""

import collections
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from connectors.sandbox.quickbooks import records
from connectors.sandbox.quickbooks.records import BUILDERS, TRANSACTION_MIX, Fields

ZONE = timezone(timedelta(hours=-8))
HISTORY_DAYS = 365
DEFAULT_RECORDS = 60
"""Customers of the default company; vendors, employees and transactions scale with them."""
TRANSACTIONS_PER_CUSTOMER = 8
SAME_SECOND = 0.15
"""The share of entities saved in the same second as the one before."""
USER_ID = "9130357766343296"

NAME_LISTS = frozenset(
    {
        "Account",
        "Class",
        "Customer",
        "Department",
        "Employee",
        "Item",
        "PaymentMethod",
        "Term",
        "Vendor",
    }
)
"""Entities made inactive rather than deleted; a query answers only the active ones unless it
asks for ``Active``."""
TAX_LISTS = frozenset({"TaxCode", "TaxRate"})
"""Entities a query cannot filter on ``MetaData`` and change data capture does not cover."""
ENTITIES = tuple(sorted(NAME_LISTS | TAX_LISTS | set(TRANSACTION_MIX)))


def updated_at(record: Fields) -> datetime:
    return datetime.fromisoformat(record["MetaData"]["LastUpdatedTime"])


class Company:
    """One QuickBooks company (realm) and its entities by type and ``Id``."""

    def __init__(
        self,
        seed: int = 42,
        records: int | None = None,
        age_days: float = 0,
        history_days: float = HISTORY_DAYS,
    ) -> None:
        self.rng = random.Random(seed)
        self.entities: dict[str, list[Fields]] = {entity: [] for entity in ENTITIES}
        """Each entity type's entities, by ``Id`` (inactive ones too)."""
        self.tombstones: dict[str, list[Fields]] = {entity: [] for entity in ENTITIES}
        self.names: collections.defaultdict[str, set[str]] = collections.defaultdict(set)
        """The display names taken, by entity: QuickBooks keeps them unique."""
        self._serials: collections.Counter[str] = collections.Counter()
        end = datetime.now(ZONE).replace(microsecond=0) - timedelta(days=age_days)
        history = timedelta(days=history_days)
        self.latest = end - history
        """The latest update time the company has written."""
        self._make_history(records or DEFAULT_RECORDS, end - history, end)

    # ---- writing ---------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        self._serials[kind] += 1
        return self._serials[kind]

    def add(self, entity: str, fields: Fields, at: datetime) -> Fields:
        meta: dict[str, Any] = {"CreateTime": at.isoformat(), "LastUpdatedTime": at.isoformat()}
        if entity in TRANSACTION_MIX:
            meta["LastModifiedByRef"] = {"value": USER_ID}
        record = {
            "domain": "QBO",
            "sparse": False,
            "Id": str(self.next_id(entity)),
            "SyncToken": "0",
            "MetaData": meta,
            **fields,
        }
        self.entities[entity].append(record)
        self.latest = max(self.latest, at)
        return record

    def create(self, entity: str, at: datetime) -> Fields | None:
        """A new entity made by its builder (None when there is nothing to make it of: a
        payment without an open invoice)."""
        fields = BUILDERS[entity](self, at)
        return None if fields is None else self.add(entity, fields, at)

    def touch(self, entity: str, record: Fields, at: datetime, **changes: Any) -> None:
        """Save ``record`` again at ``at`` (or its last save, if later) with ``changes``."""
        record.update(changes)
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        moment = max(at, updated_at(record))
        record["MetaData"]["LastUpdatedTime"] = moment.isoformat()
        self.latest = max(self.latest, moment)

    def remove(self, entity: str, record: Fields, at: datetime) -> None:
        """Delete a transaction, or make a name list's entity inactive as QuickBooks does."""
        if entity in NAME_LISTS:
            label = "DisplayName" if "DisplayName" in record else "Name"
            renamed = {label: f"{record[label]} (deleted)"}
            if "FullyQualifiedName" in record:
                renamed["FullyQualifiedName"] = renamed[label]
            self.touch(entity, record, at, Active=False, **renamed)
            return
        self.entities[entity].remove(record)
        self.tombstones[entity].append(
            {
                "domain": "QBO",
                "status": "Deleted",
                "Id": record["Id"],
                "MetaData": {"LastUpdatedTime": at.isoformat()},
            }
        )
        self.latest = max(self.latest, at)

    def _edit(self, entity: str, record: Fields, at: datetime) -> None:
        note = f"Edited {at.date().isoformat()}"
        if entity in ("Customer", "Vendor"):
            self.touch(entity, record, at, Notes=note)
        elif entity in ("Account", "Item") or entity in TAX_LISTS:
            self.touch(entity, record, at, Description=f"{record.get('Description', '')} *")
        elif entity == "TimeActivity":
            self.touch(entity, record, at, Description=note)
        elif entity in TRANSACTION_MIX:
            self.touch(entity, record, at, PrivateNote=note)
        else:
            self.touch(entity, record, at)

    # ---- history and change ----------------------------------------------------------------

    def _make_history(self, customers: int, start: datetime, end: datetime) -> None:
        people = {
            "Customer": customers,
            "Vendor": max(3, customers // 2),
            "Employee": max(2, customers // 20),
        }
        transactions = customers * TRANSACTIONS_PER_CUSTOMER
        moments = self._moments(start, end, 1 + sum(people.values()) + transactions)
        setup = next(moments)
        records.chart_of_accounts(self, setup)
        records.lists(self, setup)
        records.items(self, setup)
        for entity, count in people.items():
            for _ in range(count):
                self.create(entity, next(moments))
        kinds, weights = zip(*TRANSACTION_MIX.items(), strict=True)
        for _ in range(transactions):
            self.create(self.rng.choices(kinds, weights)[0], next(moments))
        for entity in ENTITIES:
            for record in list(self.entities[entity]):
                if self.rng.random() < 0.2:
                    created = datetime.fromisoformat(record["MetaData"]["CreateTime"])
                    later = int((end - created).total_seconds() * self.rng.random())
                    self._edit(entity, record, created + timedelta(seconds=later))

    def _moments(self, start: datetime, end: datetime, count: int) -> Iterator[datetime]:
        """``count`` or more ascending times from ``start`` to at most ``end``, some repeated."""
        spread = max(1, int(2 * (end - start).total_seconds() / count))
        moment = start
        while True:
            yield moment
            if self.rng.random() > SAME_SECOND:
                moment = min(end, moment + timedelta(seconds=self.rng.randint(1, spread)))

    def advance(self, new: int = 3, updated: int = 2, deleted: int = 1) -> dict[str, int]:
        """Between two loads: in each entity, ``updated`` edited, ``new`` added (of those the
        company makes more of) and ``deleted`` deleted, at the current second."""
        at = max(datetime.now(ZONE).replace(microsecond=0), self.latest + timedelta(seconds=1))
        done: collections.Counter[str] = collections.Counter()
        for entity in ENTITIES:
            existing = list(self.entities[entity])
            for record in self.rng.sample(existing, min(updated, len(existing))):
                self._edit(entity, record, at)
                done["updated"] += 1
            if entity not in BUILDERS:
                continue
            active = [record for record in existing if record.get("Active", True)]
            for record in self.rng.sample(active, min(deleted, max(0, len(active) - 1))):
                self.remove(entity, record, at)
                done["deleted"] += 1
            for _ in range(new):
                done["created"] += self.create(entity, at) is not None
        return dict(done)

    # ---- reading ---------------------------------------------------------------------------

    def changes(self, entity: str, since: datetime) -> list[Fields]:
        """What change data capture reports of ``entity`` since ``since``, oldest first:
        entities as they are, tombstones of deleted ones."""
        changed = [r for r in self.entities[entity] if updated_at(r) >= since]
        changed += [t for t in self.tombstones[entity] if updated_at(t) >= since]
        return sorted(changed, key=updated_at)

    def counts(self) -> dict[str, int]:
        return {entity: len(self.entities[entity]) for entity in ENTITIES}

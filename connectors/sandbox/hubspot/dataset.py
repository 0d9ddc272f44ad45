"""The HubSpot simulator's account: CRM objects, owners and pipelines, deterministic by seed.

Records are kept as HubSpot keeps them: every property value text (numbers and moments too),
moments in UTC to the millisecond. Modifications come in small bursts (a workflow or an import
touches a few records at the same millisecond), so records sharing a modification moment are
common, as they are in real accounts. ``advance`` moves the account on as between two loads:
the clock an hour later, some records modified and new ones created, an owner renamed and one
hired, a pipeline stage relabelled.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

REFERENCE_NOW = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1000)
"""The account's clock at generation, in epoch milliseconds."""
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class ObjectType:
    """A CRM object type as HubSpot names it (``contacts``, ``0-1``) and what its records hold."""

    name: str
    type_id: str
    modified: str
    """The property holding the last modification moment."""
    defaults: tuple[str, ...]
    """The properties a request that names none gets, besides the three always sent."""
    numbers: frozenset[str]
    """Properties compared as numbers (the others as moments or text)."""
    first_id: int
    values: Callable[[random.Random, int], dict[str, str | None]]

    @property
    def always(self) -> tuple[str, ...]:
        return ("createdate", self.modified, "hs_object_id")


FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Frances", "Tim", "Radia")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Allen", "Perlman")
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wonka")
STAGES = {
    "default": (
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ),
    "renewals": ("renewalopen", "renewalwon", "renewallost"),
}
TICKET_STAGES = (
    ("1", "New", "OPEN"),
    ("2", "Waiting on contact", "OPEN"),
    ("3", "Waiting on us", "OPEN"),
    ("4", "Closed", "CLOSED"),
)
OWNERS = 120


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def _owner_id(rng: random.Random) -> str | None:
    return str(90_000_001 + rng.randrange(OWNERS)) if rng.random() < 0.8 else None


def _contact(rng: random.Random, n: int) -> dict[str, str | None]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = rng.choice(COMPANIES)
    return {
        "email": f"{first}.{last}{n}@{company}.example".lower(),
        "firstname": first,
        "lastname": last,
        "phone": f"+1 555 {n % 10_000:04d}" if rng.random() < 0.7 else None,
        "company": company,
        "jobtitle": rng.choice(("Engineer", "Director", "Buyer", "CEO", None)),
        "lifecyclestage": rng.choice(("subscriber", "lead", "opportunity", "customer")),
        "hs_lead_status": rng.choice(("NEW", "OPEN", "IN_PROGRESS", None)),
        "hubspot_owner_id": _owner_id(rng),
        "hs_language": rng.choice(("en", "fr", "de", None)),
    }


def _company(rng: random.Random, n: int) -> dict[str, str | None]:
    name = f"{rng.choice(COMPANIES)} {n}"
    return {
        "name": name,
        "domain": f"{name.replace(' ', '').lower()}.example",
        "industry": rng.choice(("COMPUTER_SOFTWARE", "RETAIL", "BANKING", None)),
        "phone": f"+1 555 {n % 10_000:04d}",
        "city": rng.choice(("Boston", "Dublin", "Berlin", None)),
        "country": rng.choice(("United States", "Ireland", "Germany")),
        "numberofemployees": str(rng.randint(1, 5_000)),
        "annualrevenue": rng.choice((f"{rng.randint(1, 900) * 10_000}", None)),
        "lifecyclestage": rng.choice(("lead", "customer", "evangelist")),
        "hubspot_owner_id": _owner_id(rng),
        "website": f"https://{name.replace(' ', '').lower()}.example",
    }


def _deal(rng: random.Random, n: int) -> dict[str, str | None]:
    pipeline = rng.choice(tuple(STAGES))
    return {
        "dealname": f"{rng.choice(COMPANIES)} deal {n}",
        "amount": rng.choice((f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}", "", None)),
        "dealstage": rng.choice(STAGES[pipeline]),
        "pipeline": pipeline,
        "closedate": _iso(REFERENCE_NOW + rng.randint(-90, 90) * DAY_MS),
        "dealtype": rng.choice(("newbusiness", "existingbusiness", None)),
        "hubspot_owner_id": _owner_id(rng),
        "hs_priority": rng.choice(("low", "medium", "high")),
    }


def _ticket(rng: random.Random, n: int) -> dict[str, str | None]:
    return {
        "subject": f"Ticket {n}: {rng.choice(('login', 'billing', 'export', 'sync'))} issue",
        "content": rng.choice(("It fails.", "Please call me back.", None)),
        "hs_pipeline": "0",
        "hs_pipeline_stage": rng.choice(TICKET_STAGES)[0],
        "hs_ticket_priority": rng.choice(("LOW", "MEDIUM", "HIGH")),
        "hs_ticket_category": rng.choice(("PRODUCT_ISSUE", "BILLING_ISSUE", None)),
        "hubspot_owner_id": _owner_id(rng),
        "source_type": rng.choice(("EMAIL", "CHAT", "PHONE")),
    }


def _line_item(rng: random.Random, n: int) -> dict[str, str | None]:
    quantity, cents = rng.randint(1, 20), rng.randint(100, 99_999)
    return {
        "name": f"Product {n % 40}",
        "hs_product_id": str(70_000_001 + n % 40),
        "quantity": str(quantity),
        "price": f"{cents / 100:.2f}",
        "amount": f"{quantity * cents / 100:.2f}",
        "hs_sku": f"SKU-{n % 40:03d}",
    }


_NUMBERS = frozenset({"hs_object_id", "hubspot_owner_id"})
OBJECT_TYPES = {
    t.name: t
    for t in (
        ObjectType(
            "contacts", "0-1", "lastmodifieddate", ("firstname", "lastname", "email"), _NUMBERS,
            101, _contact,
        ),
        ObjectType(
            "companies", "0-2", "hs_lastmodifieddate", ("name", "domain"),
            _NUMBERS | {"numberofemployees", "annualrevenue"}, 5_000_000_001, _company,
        ),
        ObjectType(
            "deals", "0-3", "hs_lastmodifieddate",
            ("dealname", "amount", "closedate", "pipeline", "dealstage"), _NUMBERS | {"amount"},
            7_000_000_001, _deal,
        ),
        ObjectType(
            "tickets", "0-5", "hs_lastmodifieddate",
            ("content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category",
             "hs_ticket_priority", "subject"), _NUMBERS, 1_000_001, _ticket,
        ),
        ObjectType(
            "line_items", "0-8", "hs_lastmodifieddate", ("name", "price", "quantity", "amount"),
            _NUMBERS | {"quantity", "price", "amount"}, 3_000_000_001, _line_item,
        ),
    )
}  # fmt: skip
BY_TYPE_ID = {t.type_id: t for t in OBJECT_TYPES.values()}
MOMENT_PROPERTIES = frozenset(
    {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate"}
)
DEFAULT_COUNTS = {
    "contacts": 450,
    "companies": 220,
    "deals": 260,
    "tickets": 210,
    "line_items": 240,
}
"""Records of each object by default: a few search pages of 200 each."""


@dataclass
class CrmRecord:
    """A record: its id, creation and last modification moments, and properties as text."""

    id: int
    created: int
    modified: int
    properties: dict[str, str | None]


@dataclass
class Objects:
    """One object type's records, by id."""

    type: ObjectType
    records: dict[int, CrmRecord] = field(default_factory=dict)

    def add(self, rng: random.Random, created: int, modified: int) -> None:
        record_id = self.type.first_id + len(self.records)
        properties = self.type.values(rng, len(self.records))
        self.records[record_id] = CrmRecord(record_id, created, modified, properties)
        self.touch(self.records[record_id], modified)

    def touch(self, record: CrmRecord, modified: int) -> None:
        record.modified = modified
        record.properties.update(
            createdate=_iso(record.created),
            hs_object_id=str(record.id),
            **{self.type.modified: _iso(modified)},
        )


class Account:
    """What a HubSpot account holds, and its clock."""

    def __init__(self, seed: int, counts: Mapping[str, int]) -> None:
        self.rng = random.Random(seed)
        self.now = REFERENCE_NOW
        self.version = 0
        """Bumped by every change, so cached search answers are known stale."""
        self.objects = {name: Objects(kind) for name, kind in OBJECT_TYPES.items()}
        for name, objects in self.objects.items():
            moments = self._bursts(counts.get(name, 0), self.now - 365 * DAY_MS, self.now)
            for modified in moments:
                objects.add(self.rng, modified - self.rng.randint(0, 90) * DAY_MS, modified)
        self.owners = [self._owner(n) for n in range(OWNERS)]
        self.pipelines = _pipelines(self.now - 400 * DAY_MS)

    def _bursts(self, count: int, start: int, end: int) -> list[int]:
        """``count`` modification moments in [start, end], in bursts of one to four records
        at the same millisecond, shuffled."""
        moments: list[int] = []
        while len(moments) < count:
            moments += [self.rng.randint(start, end)] * self.rng.randint(1, 4)
        del moments[count:]
        self.rng.shuffle(moments)
        return moments

    def _owner(self, n: int) -> dict[str, Any]:
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]
        created = _iso(self.now - (OWNERS - n) * DAY_MS)
        return {
            "id": str(90_000_001 + n),
            "email": f"{first}.{last}.{n}@sandbox.example".lower(),
            "firstName": first,
            "lastName": last,
            "userId": 5_000_000 + n,
            "userIdIncludingInactive": 5_000_000 + n,
            "type": "PERSON",
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
            "teams": [{"id": str(100 + n % 3), "name": f"Team {n % 3}", "primary": True}],
        }

    def advance(self, changed: int | None, created: int | None, bulk: bool) -> None:
        """An hour on: in each object ``changed`` records modified (a tenth by default) and
        ``created`` new (a twentieth), all at one moment when ``bulk``; an owner renamed and
        one hired; a deal stage relabelled."""
        start, self.now = self.now + 1, self.now + HOUR_MS
        for objects in self.objects.values():
            count = len(objects.records)
            changes = min(count, count // 10 + 1 if changed is None else changed)
            news = count // 20 + 1 if created is None else created
            moments = self._bursts(changes + news, start, self.now)
            if bulk:
                moments = [self.now] * len(moments)
            for record_id in self.rng.sample(sorted(objects.records), changes):
                record = objects.records[record_id]
                record.properties.update(objects.type.values(self.rng, record_id % 10_000))
                objects.touch(record, moments.pop())
            for modified in moments:
                objects.add(self.rng, modified, modified)
        renamed = self.owners[self.rng.randrange(len(self.owners))]
        renamed.update(lastName=f"{renamed['lastName']}-Smith", updatedAt=_iso(self.now))
        self.owners.append(self._owner(len(self.owners)))
        stage = self.pipelines["deals"][0]["stages"][0]
        stage.update(label=f"{stage['label']} (renamed)", updatedAt=_iso(self.now))
        self.version += 1


def _pipelines(created_ms: int) -> dict[str, list[dict[str, Any]]]:
    created = _iso(created_ms)

    def pipeline(pipeline_id: str, label: str, order: int, stages: list[dict]) -> dict:
        return {
            "id": pipeline_id,
            "label": label,
            "displayOrder": order,
            "archived": False,
            "createdAt": created,
            "updatedAt": created,
            "stages": stages,
        }

    def stage(stage_id: str, label: str, order: int, metadata: dict[str, str]) -> dict[str, Any]:
        return {
            "id": stage_id,
            "label": label,
            "displayOrder": order,
            "metadata": metadata,
            "archived": False,
            "createdAt": created,
            "updatedAt": created,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }

    def deal_stages(pipeline_id: str) -> list[dict[str, Any]]:
        ids = STAGES[pipeline_id]
        return [
            stage(stage_id, stage_id.title(), order, {
                "isClosed": str("closed" in stage_id).lower(),
                "probability": f"{(order + 1) / len(ids):.1f}",
            })
            for order, stage_id in enumerate(ids)
        ]  # fmt: skip

    return {
        "deals": [
            pipeline("default", "Sales Pipeline", 0, deal_stages("default")),
            pipeline("renewals", "Renewals", 1, deal_stages("renewals")),
        ],
        "tickets": [
            pipeline(
                "0",
                "Support Pipeline",
                0,
                [
                    stage(stage_id, label, order, {"ticketState": state})
                    for order, (stage_id, label, state) in enumerate(TICKET_STAGES)
                ],
            ),
        ],
    }

"""A deterministic, realistic Stripe account: two years of a SaaS business's billing history.

``generate(seed, customers)`` simulates each customer's lifecycle (trials, subscriptions on
monthly and annual plans, renewals, failed payments and smart retries, upgrades with
prorations, downgrades at renewal, a price migration, cancellations, reactivations, overage
invoice items, refunds, disputes) and then the account's daily payouts. Objects are shaped like
the Stripe API (version 2023-08-16) returns them.

The simulation keeps each object as a compact record (a render function and its arguments);
a table is serialized to JSON bytes once, on first use or by :meth:`StripeDataset.render`, and
the sandbox app serves pages by joining those bytes.

Nothing depends on the wall clock: "now" is a fixed reference instant and all randomness comes
from ``random.Random`` instances seeded from ``seed``. Same seed and size => identical bytes.
Sixteen scripted customers (when ``customers >= 16``) guarantee that every subscription status
and lifecycle event is present whatever the seed.
"""

from __future__ import annotations

import base64
import bisect
import gc
import itertools
import json
import operator
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

try:  # orjson is much faster; both encoders give identical bytes here (UTF-8, no floats)
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    def _frag(obj: Any) -> Any:
        """A sub-object shared by many objects, encoded once."""
        return orjson.Fragment(orjson.dumps(obj))

except ImportError:  # pragma: no cover - depends on the environment
    _encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def _dumps(obj: Any) -> bytes:
        return _encode(obj).encode()

    def _frag(obj: Any) -> Any:
        return obj


REFERENCE_NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
"""The simulated "now" (2026-11-01T00:00:00Z); nothing is created after it."""
DEFAULT_CUSTOMERS = 300
HISTORY_YEARS = 2
API_VERSION = "2023-08-16"

MINUTE = 60
HOUR = 3600
DAY = 86400
CURRENCY = "usd"
ACCOUNT_TAG = "SbxAtSpk00"  # the "account" part of account-scoped ids, as in real Stripe ids
ACCOUNT_NAME = "Atspark Sandbox Inc."

# resource (URL segment) -> (object name, query parameters that filter by equality)
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers": ("customer", ("email",)),
    "products": ("product", ("active",)),
    "prices": ("price", ("active", "product", "type", "currency")),
    "subscriptions": ("subscription", ("customer", "status", "price")),
    "invoices": ("invoice", ("customer", "status", "subscription")),
    "invoiceitems": ("invoiceitem", ("customer", "invoice", "pending")),
    "charges": ("charge", ("customer", "payment_intent")),
    "refunds": ("refund", ("charge", "payment_intent")),
    "disputes": ("dispute", ("charge", "payment_intent")),
    "balance_transactions": ("balance_transaction", ("type", "source", "payout")),
    "payouts": ("payout", ("status",)),
}

SUBSCRIPTION_STATUSES = (
    "active",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


@contextmanager
def _no_gc() -> Iterator[None]:
    """Building millions of long-lived containers: the cyclic GC would only rescan them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Tables: objects sorted like Stripe lists them (newest first), serialized once


class Table:
    """One resource's objects, newest first, serialized once into one contiguous buffer.

    Positions index the list order (0 = newest). Lookups by id and the equality-filter
    indexes are built on first use; :meth:`render` serializes every object (also on first use).
    """

    def __init__(self, builder: _TableBuilder, context: _Context) -> None:
        self.resource = builder.resource
        self.object_name, self.filters = RESOURCES[self.resource]
        created = builder.created
        # Newest first; the stable sort keeps ties in creation order.
        order = sorted(range(len(created)), key=created.__getitem__, reverse=True)
        self.ids: list[str] = [builder.ids[i] for i in order]
        self.created: list[int] = [created[i] for i in order]
        """``created`` of each object (``date`` for invoice items), descending."""
        self._attrs: list[tuple[Any, ...]] = [builder.attrs[i] for i in order]
        self._records: tuple[list[int], _TableBuilder, _Context] | None = (order, builder, context)
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
            with _no_gc():
                for i in order:
                    buffer += _dumps(renders[i](context, *args[i]))
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


class _TableBuilder:
    """Records of one resource, as parallel columns of atomic values (cheap for the GC)."""

    __slots__ = ("args", "attrs", "created", "ids", "renders", "resource")

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.created: list[int] = []
        self.ids: list[str] = []
        self.renders: list[Callable[..., dict[str, Any]]] = []
        self.args: list[tuple[Any, ...]] = []
        self.attrs: list[tuple[Any, ...]] = []

    def add(
        self,
        created: int,
        object_id: str,
        render: Callable[..., dict[str, Any]],
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


@dataclass
class StripeDataset:
    """The generated account: one :class:`Table` per list endpoint."""

    seed: int
    customers: int
    now: int
    start: int
    tables: dict[str, Table]
    generation_seconds: float = 0.0

    def table(self, resource: str) -> Table:
        return self.tables[resource]

    def counts(self) -> dict[str, int]:
        return {name: len(table) for name, table in self.tables.items()}

    def render(self, resources: tuple[str, ...] | None = None) -> float:
        """Serialize the tables (all by default) now rather than on first use; seconds taken."""
        started = time.perf_counter()
        for name in resources or tuple(self.tables):
            self.tables[name].render()
        return time.perf_counter() - started

    def objects(self, resource: str) -> Iterator[dict[str, Any]]:
        """Decoded objects of ``resource``, newest first (for tests and inspection)."""
        for blob in self.tables[resource]:
            yield json.loads(blob)

    def get(self, resource: str, object_id: str) -> dict[str, Any] | None:
        blob = self.tables[resource].get(object_id)
        return None if blob is None else json.loads(blob)


# --------------------------------------------------------------------------------------------
# Ids and calendar


_B64_TO_ID = bytes.maketrans(b"+/", b"Qx")


class _Random(random.Random):
    """``random.Random`` with cheap integer and weighted draws (the simulation's hot path)."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def pick(self, population: Any, cumulative: list[int]) -> Any:
        """One element of ``population`` drawn with the given cumulative weights."""
        return population[bisect.bisect(cumulative, self.random() * cumulative[-1])]


class _Ids:
    """Stripe-looking ids from a dedicated seeded stream (drawing ids never shifts the data)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed * 7919 + 104729)
        self._buf = ""
        self._at = 0

    def chars(self, n: int) -> str:
        if self._at + n > len(self._buf):
            raw = base64.b64encode(self._rng.randbytes(9 * 8192)).translate(_B64_TO_ID)
            self._buf = raw.decode()
            self._at = 0
        at = self._at
        self._at = at + n
        return self._buf[at : at + n]

    def short(self, prefix: str) -> str:
        return prefix + self.chars(14)

    def long(self, prefix: str) -> str:
        c = self.chars(13)
        return f"{prefix}1{c[:7]}{ACCOUNT_TAG}{c[7:]}"


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CAL_BASE_YEAR = 2000
_MONTHS: list[tuple[int, int]] = []  # month index -> (epoch day of the 1st, days in month)
for _y in range(_CAL_BASE_YEAR, 2100):
    for _m in range(1, 13):
        _first = date(_y, _m, 1)
        _next = date(_y + (_m == 12), _m % 12 + 1, 1)
        _MONTHS.append((_first.toordinal() - _EPOCH_ORDINAL, (_next - _first).days))


class _Anchor:
    """A billing cycle anchor: periods start on the anchor's day of month (clamped)."""

    __slots__ = ("day", "month_index", "months", "second_of_day")

    def __init__(self, ts: int, interval: str) -> None:
        d = datetime.fromtimestamp(ts, UTC)
        self.month_index = (d.year - _CAL_BASE_YEAR) * 12 + d.month - 1
        self.day = d.day
        self.second_of_day = ts % DAY
        self.months = 12 if interval == "year" else 1

    def boundary(self, k: int) -> int:
        """Start of period ``k`` (period 0 starts at the anchor)."""
        first, days = _MONTHS[self.month_index + k * self.months]
        return (first + min(self.day, days) - 1) * DAY + self.second_of_day


def _add_months(ts: int, months: int) -> int:
    return _Anchor(ts, "month").boundary(months)


def _midnight_after(ts: int, days: int = 0) -> int:
    return (ts // DAY + 1 + days) * DAY


def _day_label(ts: int) -> str:
    return time.strftime("%d %b %Y", time.gmtime(ts))


# --------------------------------------------------------------------------------------------
# Catalog

_TIERS = (
    # name, monthly cents, description, features
    (
        "Starter",
        2900,
        "For individuals and small teams getting started.",
        ("5 projects", "Email support"),
    ),
    (
        "Growth",
        7900,
        "For growing teams that need more capacity.",
        ("25 projects", "SSO", "Priority email support"),
    ),
    (
        "Pro",
        19900,
        "For established businesses with advanced needs.",
        ("Unlimited projects", "SSO", "Audit log", "Chat support"),
    ),
    (
        "Enterprise",
        49900,
        "For large organizations with compliance requirements.",
        ("Unlimited projects", "SAML SSO", "Audit log", "Dedicated success manager", "99.99% SLA"),
    ),
)
_LEGACY_PRO_MONTHLY = 14900
_ONBOARDING_CENTS = 50000
_OVERAGE_UNIT_CENTS = 200  # per 1,000 API calls


@dataclass(eq=False)
class _Price:
    index: int  # in _Context.prices
    id: str
    tier: int  # -1 for one-time prices
    interval: str | None
    unit_amount: int
    obj: Any  # the price object (encoded once)
    plan: Any  # the legacy plan view of a recurring price (encoded once), or None
    line_description: str


# --------------------------------------------------------------------------------------------
# People

_FIRST = (
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Sophia", "Elijah", "Amelia", "James",
    "Isabella", "William", "Mia", "Benjamin", "Charlotte", "Lucas", "Harper", "Henry", "Evelyn",
    "Theodore", "Luna", "Jack", "Camila", "Levi", "Gianna", "Alexander", "Elizabeth", "Jackson",
    "Eleanor", "Mateo", "Ella", "Daniel", "Abigail", "Michael", "Sofia", "Mason", "Avery",
    "Sebastian", "Scarlett", "Ethan", "Emily", "Logan", "Aria", "Owen", "Penelope", "Samuel",
    "Chloe", "Jacob", "Layla", "Asher", "Mila", "Aiden", "Nora", "John", "Hazel", "Joseph",
    "Madison", "Wyatt", "Ellie", "David", "Lily", "Leo", "Nova", "Luke", "Isla", "Julian",
    "Grace", "Hudson", "Violet", "Grayson", "Aurora", "Matthew", "Riley", "Ezra", "Zoey",
    "Gabriel", "Willow", "Carter", "Emilia", "Isaac", "Stella", "Jayden", "Zoe", "Luca",
    "Victoria", "Anthony", "Hannah", "Dylan", "Addison", "Lincoln", "Leah", "Thomas", "Lucy",
    "Maverick", "Eliana", "Elias", "Ivy", "Josiah", "Everly", "Charles", "Lillian", "Caleb",
    "Paisley", "Christopher", "Elena", "Ezekiel", "Naomi", "Miles", "Maya", "Jaxon",
    "Natalie", "Isaiah", "Kinsley", "Andrew", "Delilah", "Joshua", "Claire", "Nathan",
    "Audrey", "Nolan", "Aaliyah", "Adrian", "Ruby", "Cameron", "Brooklyn", "Santiago",
    "Alice", "Eli", "Aubrey", "Aaron", "Autumn", "Ryan", "Leilani", "Angel", "Savannah",
    "Cooper", "Valentina", "Waylon", "Kennedy", "Easton", "Madelyn", "Kai", "Josephine",
    "Christian", "Bella", "Landon", "Skylar", "Colton", "Genesis", "Roman", "Sadie",
)  # fmt: skip
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson",
    "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
    "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
    "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez",
    "Mcdonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
    "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter",
    "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
)  # fmt: skip
_COMPANY_A = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "wonka",
    "tyrell", "cyberdyne", "soylent", "aperture", "blackmesa", "oceanic", "pied", "dunder",
    "gringotts", "monarch", "nakatomi", "massive", "virtucon", "gekko", "sterling", "prestige",
    "northwind", "contoso", "fabrikam", "litware", "adatum", "tailspin", "wingtip", "proseware",
    "lucerne", "margie", "alpine", "bluesky", "redwood", "ironbark", "quantum", "nimbus",
    "orbital", "lumen", "cobalt", "vertex", "helix", "zenith", "summit", "harbor", "beacon",
)  # fmt: skip
_COMPANY_B = (
    "labs", "systems", "analytics", "cloud", "data", "works", "digital", "software", "tech",
    "studio", "ventures", "group", "health", "logistics", "media", "retail", "finance", "io",
)  # fmt: skip
_TLDS = ("com", "com", "com", "io", "co", "net", "dev", "ai")
_STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Market", "Mission", "Valencia", "Broadway", "Church", "High", "King", "Queen", "Mill",
    "River", "Sunset", "Harbor", "Spring", "Willow", "Chestnut", "Walnut", "Franklin",
)  # fmt: skip
_STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Way", "Dr")
_COUNTRIES = (
    # country, weight, cities as (city, state, postal code pattern)
    (
        "US",
        55,
        (
            ("San Francisco", "CA", "941##"),
            ("New York", "NY", "100##"),
            ("Austin", "TX", "787##"),
            ("Seattle", "WA", "981##"),
            ("Chicago", "IL", "606##"),
            ("Boston", "MA", "021##"),
            ("Denver", "CO", "802##"),
        ),
    ),
    ("GB", 10, (("London", None, "EC1A #AA"), ("Manchester", None, "M1 #AE"))),
    ("CA", 8, (("Toronto", "ON", "M5V #A#"), ("Vancouver", "BC", "V6B #A#"))),
    ("DE", 7, (("Berlin", None, "101##"), ("Munich", None, "803##"), ("Hamburg", None, "203##"))),
    ("FR", 5, (("Paris", None, "750##"), ("Lyon", None, "690##"))),
    ("AU", 5, (("Sydney", "NSW", "20##"), ("Melbourne", "VIC", "30##"))),
    ("NL", 4, (("Amsterdam", None, "10## AB"), ("Utrecht", None, "35## CD"))),
    ("IE", 3, (("Dublin", None, "D0# X###"),)),
    ("SG", 3, (("Singapore", None, "0####"),)),
)
_COUNTRY_WEIGHTS = list(itertools.accumulate(c[1] for c in _COUNTRIES))
_BRANDS = (("visa", 60), ("mastercard", 25), ("amex", 10), ("discover", 5))
_DECLINES = (
    # decline code, charge failure_code, failure_message, weight
    ("insufficient_funds", "card_declined", "Your card has insufficient funds.", 45),
    ("generic_decline", "card_declined", "Your card was declined.", 30),
    ("do_not_honor", "card_declined", "Your card was declined.", 10),
    ("expired_card", "expired_card", "Your card has expired.", 10),
    ("lost_card", "card_declined", "Your card was declined.", 5),
)
_DISPUTE_REASONS = (
    ("fraudulent", "10.4", 40),
    ("subscription_canceled", "13.2", 25),
    ("product_not_received", "13.1", 10),
    ("duplicate", "12.6.1", 10),
    ("credit_not_processed", "13.6", 10),
    ("general", "10.5", 5),
)
_REFUND_REASONS = (("requested_by_customer", 70), ("duplicate", 15), ("fraudulent", 5), (None, 10))
_CANCEL_FEEDBACK = (
    "too_expensive", "unused", "missing_features", "switched_service", "low_quality",
    "too_complex", "customer_service", "other", None,
)  # fmt: skip

_EMPTY_EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)  # fmt: skip


@dataclass(eq=False)
class _Customer:
    index: int  # in _Context.customers
    id: str
    created: int
    name: str
    email: str
    address: Any  # encoded once: shared by the customer, its invoices and charges
    invoice_prefix: str
    payment_method: str
    brand: str
    billing_details: Any
    payment_method_details: Any
    reliability: float  # probability that a payment attempt succeeds
    invoice_count: int = 0
    delinquent: bool = False


@dataclass
class _Context:
    """What records refer to by number (records hold only atoms, so the GC skips them)."""

    customers: list[_Customer]
    prices: list[_Price]


@dataclass
class _Script:
    """A forced lifecycle, so every status and event exists whatever the seed or size."""

    created: int
    tier: int
    interval: str = "month"
    trial: bool = False
    trial_outcome: str = "convert"  # convert | cancel | pause
    fail_first: bool = False
    recover_first: bool = False
    fail_period: int | None = None  # every attempt of this period's invoice fails
    fail_final: str = "cancel"  # cancel | unpaid, once retries are exhausted
    upgrade_period: int | None = None
    downgrade_period: int | None = None
    cancel_period: int | None = None
    cancel_at_period_end: bool = False
    reactivate_after_days: int | None = None
    refund_and_dispute_period: int | None = None  # that period's charge: half refunded, disputed
    full_refund_period: int | None = None  # that period's charge: refunded in full

    def forced(self, period: int) -> str | None:
        if period == self.refund_and_dispute_period:
            return "dispute"
        if period == self.full_refund_period:
            return "refund"
        return None


@dataclass(slots=True)
class _Collection:
    """How an invoice's payment went."""

    status: str  # paid | draft | retrying | incomplete | expired | exhausted
    charge: str | None = None
    attempts: int = 0
    paid_at: int | None = None
    next_attempt: int | None = None
    last_attempt: int | None = None

    def record(self) -> tuple[Any, ...]:
        return (
            self.status,
            self.charge,
            self.attempts,
            self.paid_at,
            self.next_attempt,
            self.last_attempt,
        )


# --------------------------------------------------------------------------------------------
# Renderers: record -> Stripe object (API version 2023-08-16)


def _same(_context: _Context, obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _render_customer(context: _Context, customer: int) -> dict[str, Any]:
    c = context.customers[customer]
    return {
        "id": c.id,
        "object": "customer",
        "address": c.address,
        "balance": 0,
        "created": c.created,
        "currency": CURRENCY if c.invoice_count else None,
        "default_source": None,
        "delinquent": c.delinquent,
        "description": None,
        "discount": None,
        "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": c.payment_method,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": c.name,
        "next_invoice_sequence": c.invoice_count + 1,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _render_balance_transaction(
    _context: _Context,
    txn_id: str,
    created: int,
    amount: int,
    fee: int,
    kind: str,
    category: str,
    source: str,
    description: str | None,
    available_on: int,
    status: str,
    fee_description: str,
) -> dict[str, Any]:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": CURRENCY,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": CURRENCY,
                    "description": fee_description,
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": status,
        "type": kind,
    }


def _render_refund(
    _context: _Context,
    refund_id: str,
    created: int,
    amount: int,
    charge_id: str,
    payment_intent: str,
    reason: str | None,
    txn_id: str,
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn_id,
        "charge": charge_id,
        "created": created,
        "currency": CURRENCY,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


_APPROVED = "approved_by_network"


def _render_charge(
    context: _Context,
    charge_id: str,
    customer: int,
    created: int,
    amount: int,
    decline: tuple[str, str, str, int] | None,
    risk_score: int,
    invoice: str | None,
    payment_intent: str,
    description: str | None,
    refunds: tuple[tuple[Any, ...], ...],
    amount_refunded: int,
    disputed: bool,
    txn_id: str | None,
) -> dict[str, Any]:
    c = context.customers[customer]
    succeeded = decline is None
    if succeeded:
        outcome = {
            "network_status": _APPROVED,
            "reason": None,
            "risk_level": "normal",
            "risk_score": risk_score,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
        failure_code = failure_message = None
    else:
        assert decline is not None
        code, failure_code, failure_message, _ = decline
        outcome = {
            "network_status": "declined_by_network",
            "reason": code,
            "risk_level": "normal",
            "risk_score": risk_score,
            "seller_message": f"The bank returned the decline code `{code}`.",
            "type": "issuer_declined",
        }
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn_id,
        "billing_details": c.billing_details,
        "calculated_statement_descriptor": "ATSPARK",
        "captured": succeeded,
        "created": created,
        "currency": CURRENCY,
        "customer": c.id,
        "description": description,
        "disputed": disputed,
        "failure_balance_transaction": None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "invoice": invoice,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": outcome,
        "paid": succeeded,
        "payment_intent": payment_intent,
        "payment_method": c.payment_method,
        "payment_method_details": c.payment_method_details,
        "radar_options": {},
        "receipt_email": c.email if succeeded else None,
        "receipt_number": None,
        "receipt_url": (
            f"https://pay.stripe.com/receipts/payment/{charge_id[3:]}" if succeeded else None
        ),
        "refunded": amount_refunded == amount,
        "refunds": {
            "object": "list",
            "data": [_render_refund(context, *refund) for refund in refunds],
            "has_more": False,
            "total_count": len(refunds),
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def _render_dispute(
    context: _Context,
    dispute_id: str,
    customer: int,
    created: int,
    amount: int,
    charge_id: str,
    payment_intent: str,
    reason: str,
    network_code: str,
    status: str,
    transactions: tuple[tuple[Any, ...], ...],
) -> dict[str, Any]:
    c = context.customers[customer]
    responded = status != "needs_response"
    evidence: dict[str, Any] = dict.fromkeys(_EMPTY_EVIDENCE_KEYS)
    if responded:
        evidence["customer_email_address"] = c.email
        evidence["customer_name"] = c.name
        evidence["product_description"] = "Subscription to the Atspark data platform."
        evidence["uncategorized_text"] = "The customer used the service during the period."
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [
            _render_balance_transaction(context, *txn) for txn in transactions
        ],
        "charge": charge_id,
        "created": created,
        "currency": CURRENCY,
        "evidence": evidence,
        "evidence_details": {
            "due_by": _midnight_after(created, 20) - 1,
            "has_evidence": responded,
            "past_due": False,
            "submission_count": 1 if responded else 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "payment_method_details": {
            "card": {"brand": c.brand, "network_reason_code": network_code},
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }


def _render_line(
    context: _Context,
    line_id: str,
    price_index: int,
    amount: int,
    start: int,
    end: int,
    subscription: str | None,
    subscription_item: str | None,
    invoice_item: str | None,
    description: str,
    quantity: int,
    proration: bool,
) -> dict[str, Any]:
    price = context.prices[price_index]
    line = {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "amount_excluding_tax": amount,
        "currency": CURRENCY,
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "livemode": False,
        "metadata": {},
        "period": {"end": end, "start": start},
        "plan": price.plan,
        "price": price.obj,
        "proration": proration,
        "proration_details": {"credited_items": None},
        "quantity": quantity,
        "subscription": subscription,
        "tax_amounts": [],
        "tax_rates": [],
        "type": "invoiceitem" if invoice_item else "subscription",
        "unit_amount_excluding_tax": str(amount // quantity),
    }
    if invoice_item:
        line["invoice_item"] = invoice_item
    if subscription_item:
        line["subscription_item"] = subscription_item
    return line


def _render_invoice_item(
    context: _Context,
    item_id: str,
    customer: str,
    created: int,
    price_index: int,
    amount: int,
    start: int,
    end: int,
    invoice: str | None,
    subscription: str | None,
    subscription_item: str | None,
    description: str,
    quantity: int,
    proration: bool,
) -> dict[str, Any]:
    price = context.prices[price_index]
    item = {
        "id": item_id,
        "object": "invoiceitem",
        "amount": amount,
        "currency": CURRENCY,
        "customer": customer,
        "date": created,
        "description": description,
        "discountable": not proration,
        "discounts": [],
        "invoice": invoice,
        "livemode": False,
        "metadata": {},
        "period": {"end": end, "start": start},
        "plan": price.plan,
        "price": price.obj,
        "proration": proration,
        "quantity": quantity,
        "subscription": subscription,
        "tax_rates": [],
        "test_clock": None,
        "unit_amount": amount // quantity,
        "unit_amount_decimal": str(amount // quantity),
    }
    if subscription_item:
        item["subscription_item"] = subscription_item
    return item


_INVOICE_STATUS = {
    "paid": "paid",
    "draft": "draft",
    "retrying": "open",
    "incomplete": "open",
    "expired": "void",
    "exhausted": "uncollectible",
}


def _render_invoice(
    context: _Context,
    invoice_id: str,
    customer: int,
    created: int,
    reason: str,
    lines: tuple[tuple[Any, ...], ...],
    subscription: str | None,
    period_start: int,
    period_end: int,
    total: int,
    result: tuple[Any, ...],
    number: str | None,
    finalized: int,
    payment_intent: str | None,
    due_date: int | None,
) -> dict[str, Any]:
    c = context.customers[customer]
    outcome, charge, attempts, paid_at, next_attempt, last_attempt = result
    status = _INVOICE_STATUS[outcome]
    paid = status == "paid"
    final = status != "draft"
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": ACCOUNT_NAME,
        "account_tax_ids": None,
        "amount_due": total,
        "amount_paid": total if paid else 0,
        "amount_remaining": 0 if paid or status == "void" else total,
        "amount_shipping": 0,
        "application": None,
        "application_fee_amount": None,
        "attempt_count": attempts,
        "attempted": attempts > 0 or paid,
        "auto_advance": status in ("draft", "open"),
        "automatic_tax": {"enabled": False, "status": None},
        "billing_reason": reason,
        "charge": charge,
        "collection_method": "charge_automatically" if due_date is None else "send_invoice",
        "created": created,
        "currency": CURRENCY,
        "custom_fields": None,
        "customer": c.id,
        "customer_address": c.address,
        "customer_email": c.email,
        "customer_name": c.name,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "discounts": [],
        "due_date": due_date,
        "effective_at": finalized if final else None,
        "ending_balance": 0 if final else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": (
            f"https://invoice.stripe.com/i/acct_{ACCOUNT_TAG}/test_{invoice_id[3:]}"
            if final
            else None
        ),
        "invoice_pdf": (
            f"https://pay.stripe.com/invoice/acct_{ACCOUNT_TAG}/test_{invoice_id[3:]}/pdf"
            if final
            else None
        ),
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [_render_line(context, *line) for line in lines],
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": next_attempt,
        "number": number,
        "on_behalf_of": None,
        "paid": paid,
        "paid_out_of_band": False,
        "payment_intent": payment_intent if attempts else None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": None,
        "receipt_number": None,
        "rendering_options": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": finalized if final else None,
            "marked_uncollectible_at": last_attempt if status == "uncollectible" else None,
            "paid_at": paid_at if paid else None,
            "voided_at": last_attempt + 23 * HOUR if status == "void" and last_attempt else None,
        },
        "subscription": subscription,
        "subscription_details": {"metadata": {}} if subscription else None,
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "tax": None,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_tax_amounts": [],
        "transfer_data": None,
        "webhooks_delivered_at": created + 2 if final else None,
    }


def _render_subscription(
    context: _Context,
    sub_id: str,
    item_id: str,
    customer: int,
    created: int,
    price_index: int,
    period_start: int,
    period_end: int,
    anchor: int,
    state: tuple[Any, ...],
) -> dict[str, Any]:
    c = context.customers[customer]
    price = context.prices[price_index]
    (
        status,
        cancel_at,
        cancel_at_period_end,
        canceled_at,
        ended_at,
        feedback,
        cancellation_reason,
        trial_start,
        trial_end,
        end_behavior,
        latest_invoice,
    ) = state
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False},
        "billing_cycle_anchor": anchor,
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": feedback,
            "reason": cancellation_reason,
        },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": CURRENCY,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "customer": c.id,
        "days_until_due": None,
        "default_payment_method": c.payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "ended_at": ended_at,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": item_id,
                    "object": "subscription_item",
                    "billing_thresholds": None,
                    "created": created,
                    "metadata": {},
                    "plan": price.plan,
                    "price": price.obj,
                    "quantity": 1,
                    "subscription": sub_id,
                    "tax_rates": [],
                }
            ],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": latest_invoice,
        "livemode": False,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": end_behavior}},
        "trial_start": trial_start,
    }


def _render_payout(
    _context: _Context,
    payout_id: str,
    created: int,
    amount: int,
    arrival: int,
    status: str,
    txn_id: str,
) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "arrival_date": arrival,
        "automatic": True,
        "balance_transaction": txn_id,
        "created": created,
        "currency": CURRENCY,
        "description": "STRIPE PAYOUT",
        "destination": f"ba_1{ACCOUNT_TAG}PayoutBank1",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "completed" if status == "paid" else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "type": "bank_account",
    }


class _SubscriptionState:
    __slots__ = (
        "cancel_at",
        "cancel_at_period_end",
        "canceled_at",
        "cancellation_reason",
        "end_behavior",
        "ended_at",
        "feedback",
        "latest_invoice",
        "status",
        "trial_end",
        "trial_start",
    )

    def __init__(self) -> None:
        self.status = "active"
        self.cancel_at: int | None = None
        self.cancel_at_period_end = False
        self.canceled_at: int | None = None
        self.ended_at: int | None = None
        self.feedback: str | None = None
        self.cancellation_reason: str | None = None
        self.trial_start: int | None = None
        self.trial_end: int | None = None
        self.end_behavior = "create_invoice"
        self.latest_invoice: str | None = None

    def record(self) -> tuple[Any, ...]:
        return (
            self.status,
            self.cancel_at,
            self.cancel_at_period_end,
            self.canceled_at,
            self.ended_at,
            self.feedback,
            self.cancellation_reason,
            self.trial_start,
            self.trial_end,
            self.end_behavior,
            self.latest_invoice,
        )


# --------------------------------------------------------------------------------------------
# The simulation

# Cumulative weights, for _Random.pick.
_DECLINE_WEIGHTS = list(itertools.accumulate(d[3] for d in _DECLINES))
_DISPUTE_WEIGHTS = list(itertools.accumulate(d[2] for d in _DISPUTE_REASONS))
_REFUND_WEIGHTS = list(itertools.accumulate(r[1] for r in _REFUND_REASONS))
_BRAND_WEIGHTS = list(itertools.accumulate(b[1] for b in _BRANDS))
_TIER_WEIGHTS = list(itertools.accumulate((45, 30, 18, 7)))
_CHARGE_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_update": "Subscription update",
    "subscription_cycle": "Subscription update",
    "manual": "Payment for Invoice",
}


class _Generator:
    def __init__(self, seed: int, customers: int, now: int, years: int) -> None:
        self.n_customers = customers
        self.now = now
        self.start = _add_months(now, -12 * years)
        self.rng = _Random(seed)
        self.ids = _Ids(seed)
        self.tables = {name: _TableBuilder(name) for name in RESOURCES}
        self.customers: list[_Customer] = []
        self.prices: list[_Price] = []
        self.balance_rows: list[tuple[int, int, int]] = []  # (available_on, net, record)
        self.price_change = self.start + 120 * DAY  # Pro monthly repriced from $149 to $199
        self.price_migration = self.start + 400 * DAY  # grandfathered Pro customers migrated
        self._catalog()

    # ---- catalog -----------------------------------------------------------------------------

    def _catalog(self) -> None:
        ids = self.ids
        launched = self.start - 75 * DAY + 9 * HOUR
        self.monthly: list[_Price] = []
        self.yearly: list[_Price] = []
        for tier, (name, cents, description, features) in enumerate(_TIERS):
            product_id = ids.short("prod_")
            created = launched + tier * 97
            # Pro monthly was repriced: its current price dates from the price change.
            monthly_created = self.price_change if tier == 2 else created + 1
            monthly = self._price(product_id, tier, name, "month", cents, monthly_created)
            yearly = self._price(product_id, tier, name, "year", cents * 10, created + 2)
            self.monthly.append(monthly)
            self.yearly.append(yearly)
            self._product(product_id, name, description, features, created, monthly.id)
            if tier == 2:
                self.pro_product = product_id
        self.legacy_pro = self._price(
            self.pro_product,
            2,
            "Pro",
            "month",
            _LEGACY_PRO_MONTHLY,
            launched + 300,
            active=False,
            lookup_key="pro_monthly_2024",
            nickname="Pro monthly (2024 pricing)",
        )
        product_id = ids.short("prod_")
        self.onboarding = self._price(
            product_id, -1, "Onboarding package", None, _ONBOARDING_CENTS, launched + 500
        )
        self._product(
            product_id,
            "Onboarding package",
            "Guided setup and data migration with a solutions engineer.",
            ("Kickoff workshop",),
            launched + 499,
            self.onboarding.id,
        )
        product_id = ids.short("prod_")
        self.overage = self._price(
            product_id, -1, "API overage", None, _OVERAGE_UNIT_CENTS, launched + 600
        )
        self._product(
            product_id,
            "API overage",
            "Usage above the plan's included API calls.",
            (),
            launched + 599,
            self.overage.id,
            unit_label="1,000 API calls",
        )

    def _price(
        self,
        product: str,
        tier: int,
        name: str,
        interval: str | None,
        cents: int,
        created: int,
        *,
        active: bool = True,
        lookup_key: str | None = None,
        nickname: str | None = None,
    ) -> Any:
        price_id = self.ids.long("price_")
        kind = "annual" if interval == "year" else "monthly"
        if nickname is None:
            nickname = f"{name} {kind}" if interval else name
        if lookup_key is None:
            slug = name.lower().replace(" ", "_")
            lookup_key = f"{slug}_{kind}" if interval else slug
        obj = {
            "id": price_id,
            "object": "price",
            "active": active,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": CURRENCY,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": {},
            "nickname": nickname,
            "product": product,
            "recurring": (
                {
                    "aggregate_usage": None,
                    "interval": interval,
                    "interval_count": 1,
                    "usage_type": "licensed",
                }
                if interval
                else None
            ),
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if interval else "one_time",
            "unit_amount": cents,
            "unit_amount_decimal": str(cents),
        }
        plan = None
        if interval:
            plan = {
                "id": price_id,
                "object": "plan",
                "active": active,
                "aggregate_usage": None,
                "amount": cents,
                "amount_decimal": str(cents),
                "billing_scheme": "per_unit",
                "created": created,
                "currency": CURRENCY,
                "interval": interval,
                "interval_count": 1,
                "livemode": False,
                "metadata": {},
                "nickname": nickname,
                "product": product,
                "tiers_mode": None,
                "transform_usage": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
        line = f"1 \u00d7 {name} (at ${cents / 100:,.2f} / {interval})" if interval else name
        price = _Price(
            len(self.prices),
            price_id,
            tier,
            interval,
            cents,
            _frag(obj),
            plan and _frag(plan),
            line,
        )
        self.prices.append(price)
        attrs = ("true" if active else "false", product, obj["type"], CURRENCY)
        self.tables["prices"].add(created, price_id, _same, (obj,), attrs)
        return price

    def _product(
        self,
        product_id: str,
        name: str,
        description: str,
        features: tuple[str, ...],
        created: int,
        default_price: str,
        unit_label: str | None = None,
    ) -> None:
        obj = {
            "id": product_id,
            "object": "product",
            "active": True,
            "created": created,
            "default_price": default_price,
            "description": description,
            "features": [{"name": feature} for feature in features],
            "images": [],
            "livemode": False,
            "metadata": {},
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": unit_label,
            "updated": created + 3 * DAY,
            "url": None,
        }
        self.tables["products"].add(created, product_id, _same, (obj,), ("true",))

    # ---- customers ---------------------------------------------------------------------------

    def _customer(self, created: int) -> _Customer:
        rng = self.rng
        ids = self.ids
        first = rng.choice(_FIRST)
        last = rng.choice(_LAST)
        domain = f"{rng.choice(_COMPANY_A)}{rng.choice(_COMPANY_B)}.{rng.choice(_TLDS)}"
        email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{domain}"
        country, _, cities = rng.pick(_COUNTRIES, _COUNTRY_WEIGHTS)
        city, state, postal = rng.choice(cities)
        address = {
            "city": city,
            "country": country,
            "line1": f"{rng.randrange(1, 2400)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}",
            "line2": f"Suite {rng.randrange(100, 999)}" if rng.random() < 0.3 else None,
            "postal_code": "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in postal),
            "state": state,
        }
        brand = rng.pick(_BRANDS, _BRAND_WEIGHTS)[0]
        name = f"{first} {last}"
        card = {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": "pass",
                "cvc_check": "pass",
            },
            "country": country,
            "exp_month": rng.randrange(1, 13),
            "exp_year": 2027 + rng.randrange(5),
            "fingerprint": ids.chars(16),
            "funding": "credit" if rng.random() < 0.8 else "debit",
            "installments": None,
            "last4": f"{rng.randrange(10000):04d}",
            "mandate": None,
            "network": brand,
            "network_token": {"used": False},
            "three_d_secure": None,
            "wallet": None,
        }
        customer = _Customer(
            index=len(self.customers),
            id=ids.short("cus_"),
            created=created,
            name=name,
            email=email,
            address=_frag(address),
            invoice_prefix=f"{rng.getrandbits(32):08X}",
            payment_method=ids.long("pm_"),
            brand=brand,
            billing_details=_frag(
                {"address": address, "email": email, "name": name, "phone": None}
            ),
            payment_method_details=_frag({"card": card, "type": "card"}),
            reliability=0.97 if rng.random() < 0.85 else 0.8,
        )
        self.customers.append(customer)
        return customer

    # ---- money movements ---------------------------------------------------------------------

    def _balance_transaction(
        self,
        created: int,
        amount: int,
        fee: int,
        kind: str,
        category: str,
        source: str,
        description: str | None,
        available_on: int,
        fee_description: str = "Stripe processing fees",
    ) -> tuple[Any, ...]:
        txn_id = self.ids.long("txn_")
        status = "available" if available_on <= self.now else "pending"
        args = (
            txn_id,
            created,
            amount,
            fee,
            kind,
            category,
            source,
            description,
            available_on,
            status,
            fee_description,
        )
        record = self.tables["balance_transactions"].add(
            created, txn_id, _render_balance_transaction, args, (kind, source, None)
        )
        self.balance_rows.append((available_on, amount - fee, record))
        return args

    def _charge(
        self,
        c: _Customer,
        created: int,
        amount: int,
        *,
        succeed: bool,
        invoice: str | None,
        payment_intent: str,
        description: str | None,
        forced: str | None = None,
    ) -> str:
        """Record a charge (and its balance transaction, refunds, dispute); return its id.

        ``forced`` scripts the aftermath: "dispute" (half refunded, then disputed) or "refund"
        (refunded in full)."""
        rng = self.rng
        charge_id = self.ids.long("ch_")
        now = self.now
        refunds: tuple[tuple[Any, ...], ...] = ()
        amount_refunded = 0
        disputed = False
        txn_id = None
        decline = None
        if succeed:
            fee = (amount * 29 + 500) // 1000 + 30  # 2.9% + 30c
            txn_id = self._balance_transaction(
                created,
                amount,
                fee,
                "charge",
                "charge",
                charge_id,
                description,
                _midnight_after(created, 2),
            )[0]
            roll = rng.random()
            if forced or roll < 0.03:
                refunded_at = created + (2 * DAY if forced else rng.randrange(HOUR, 30 * DAY))
                if refunded_at <= now:
                    partial = forced == "dispute" if forced else rng.random() < 0.3
                    amount_refunded = amount // 2 if partial else amount
                    refunds = (
                        self._refund(charge_id, payment_intent, refunded_at, amount_refunded),
                    )
            if (forced == "dispute" or roll > 0.994) and amount_refunded < amount:
                disputed_at = created + (5 * DAY if forced else rng.randrange(3 * DAY, 60 * DAY))
                if disputed_at <= now:
                    disputed = True
                    self._dispute(
                        c, charge_id, payment_intent, disputed_at, amount - amount_refunded
                    )
        else:
            decline = rng.pick(_DECLINES, _DECLINE_WEIGHTS)
        args = (
            charge_id,
            c.index,
            created,
            amount,
            decline,
            rng.randrange(5, 65),
            invoice,
            payment_intent,
            description,
            refunds,
            amount_refunded,
            disputed,
            txn_id,
        )
        self.tables["charges"].add(created, charge_id, _render_charge, args, (c.id, payment_intent))
        return charge_id

    def _refund(
        self, charge_id: str, payment_intent: str, created: int, amount: int
    ) -> tuple[Any, ...]:
        refund_id = self.ids.long("re_")
        reason = self.rng.pick(_REFUND_REASONS, _REFUND_WEIGHTS)[0]
        txn_id = self._balance_transaction(
            created,
            -amount,
            0,
            "refund",
            "refund",
            refund_id,
            "REFUND FOR CHARGE",
            _midnight_after(created),
        )[0]
        args = (refund_id, created, amount, charge_id, payment_intent, reason, txn_id)
        self.tables["refunds"].add(
            created, refund_id, _render_refund, args, (charge_id, payment_intent)
        )
        return args

    def _dispute(
        self, c: _Customer, charge_id: str, payment_intent: str, created: int, amount: int
    ) -> None:
        rng = self.rng
        dispute_id = self.ids.long("dp_")
        reason, network_code, _ = rng.pick(_DISPUTE_REASONS, _DISPUTE_WEIGHTS)
        age = self.now - created
        if age < 7 * DAY:
            status = "needs_response"
        elif age < 30 * DAY:
            status = "under_review"
        else:
            status = "won" if rng.random() < 0.4 else "lost"
        transactions: tuple[tuple[Any, ...], ...] = (
            (
                self._balance_transaction(
                    created,
                    -amount,
                    1500,
                    "adjustment",
                    "dispute",
                    dispute_id,
                    f"Chargeback withdrawal for {charge_id}",
                    _midnight_after(created),
                    fee_description="Dispute fee",
                )
            ),
        )
        if status == "won":
            won_at = created + rng.randrange(20 * DAY, 29 * DAY)
            transactions += (
                self._balance_transaction(
                    won_at,
                    amount,
                    -1500,
                    "adjustment",
                    "dispute_reversal",
                    dispute_id,
                    f"Chargeback reversal for {charge_id}",
                    _midnight_after(won_at),
                    fee_description="Dispute fee refund",
                ),
            )
        args = (
            dispute_id,
            c.index,
            created,
            amount,
            charge_id,
            payment_intent,
            reason,
            network_code,
            status,
            transactions,
        )
        self.tables["disputes"].add(
            created, dispute_id, _render_dispute, args, (charge_id, payment_intent)
        )

    # ---- invoices ----------------------------------------------------------------------------

    def _collect(
        self,
        c: _Customer,
        invoice_id: str,
        payment_intent: str,
        amount: int,
        finalized: int,
        description: str | None,
        *,
        first: bool,
        force_fail: bool = False,
        recover_first: bool | None = None,
        forced: str | None = None,
    ) -> _Collection:
        """Attempt payment like Stripe Billing: first attempt at finalization, then retries."""
        now = self.now
        rng = self.rng
        if finalized > now:
            return _Collection("draft")
        if amount <= 0:
            return _Collection("paid", paid_at=finalized)
        at = finalized + rng.randrange(2, 40)
        ok = not force_fail and (forced is not None or rng.random() < c.reliability)
        charge = self._charge(
            c,
            at,
            amount,
            succeed=ok,
            invoice=invoice_id,
            payment_intent=payment_intent,
            description=description,
            forced=forced,
        )
        if ok:
            return _Collection("paid", charge, 1, paid_at=at, last_attempt=at)
        if first:
            # A subscription's first invoice: the customer has 23 hours to pay, else it expires.
            if at + 23 * HOUR > now:
                return _Collection("incomplete", charge, 1, last_attempt=at)
            if rng.random() < 0.45 if recover_first is None else recover_first:
                at += rng.randrange(10 * MINUTE, 20 * HOUR)
                charge = self._charge(
                    c,
                    at,
                    amount,
                    succeed=True,
                    invoice=invoice_id,
                    payment_intent=payment_intent,
                    description=description,
                )
                return _Collection("paid", charge, 2, paid_at=at, last_attempt=at)
            return _Collection("expired", charge, 1, last_attempt=at)
        # Smart retries: about 3, 5 and 7 days after the previous attempt.
        attempts = 1
        for gap in (3, 5, 7):
            retry_at = at + gap * DAY + rng.randrange(-3 * HOUR, 3 * HOUR)
            if retry_at > now:
                return _Collection(
                    "retrying", charge, attempts, next_attempt=retry_at, last_attempt=at
                )
            at = retry_at
            attempts += 1
            ok = not force_fail and rng.random() < 0.5
            charge = self._charge(
                c,
                at,
                amount,
                succeed=ok,
                invoice=invoice_id,
                payment_intent=payment_intent,
                description=description,
            )
            if ok:
                return _Collection("paid", charge, attempts, paid_at=at, last_attempt=at)
        return _Collection("exhausted", charge, attempts, last_attempt=at)

    def _line(
        self,
        price: _Price,
        amount: int,
        period: tuple[int, int],
        subscription: str | None,
        subscription_item: str | None = None,
        invoice_item: str | None = None,
        description: str | None = None,
        quantity: int = 1,
        proration: bool = False,
    ) -> tuple[Any, ...]:
        return (
            self.ids.long("il_"),
            price.index,
            amount,
            period[0],
            period[1],
            subscription,
            subscription_item,
            invoice_item,
            description or price.line_description,
            quantity,
            proration,
        )

    def _invoice_item(
        self,
        c: _Customer,
        price: _Price,
        created: int,
        amount: int,
        period: tuple[int, int],
        *,
        invoice: str | None,
        subscription: str | None,
        subscription_item: str | None = None,
        quantity: int = 1,
        description: str | None = None,
        proration: bool = False,
    ) -> tuple[Any, ...]:
        """Create an invoice item; return the invoice line that bills it."""
        item_id = self.ids.long("ii_")
        description = description or price.line_description
        args = (
            item_id,
            c.id,
            created,
            price.index,
            amount,
            period[0],
            period[1],
            invoice,
            subscription,
            subscription_item,
            description,
            quantity,
            proration,
        )
        self.tables["invoiceitems"].add(
            created,
            item_id,
            _render_invoice_item,
            args,
            (c.id, invoice, "false" if invoice else "true"),
        )
        return self._line(
            price,
            amount,
            period,
            subscription,
            subscription_item,
            item_id,
            description,
            quantity,
            proration,
        )

    def _invoice(
        self,
        c: _Customer,
        invoice_id: str,
        created: int,
        reason: str,
        lines: list[tuple[Any, ...]],
        *,
        subscription: str | None,
        period: tuple[int, int],
        first: bool = False,
        force_fail: bool = False,
        recover_first: bool | None = None,
        forced: str | None = None,
        send_invoice_days: int | None = None,
    ) -> _Collection:
        """Finalize, collect and record an invoice; return how collection went."""
        total = 0
        for line in lines:
            total += line[2]
        payment_intent = self.ids.long("pi_") if total > 0 else None
        # Creation and update invoices finalize at once; renewals about an hour later.
        finalized = created + HOUR if reason == "subscription_cycle" else created
        description = _CHARGE_DESCRIPTIONS[reason]
        due_date = None
        if send_invoice_days is not None:
            # Emailed invoice: the customer pays it by card some days after it is sent.
            due_date = _midnight_after(finalized, send_invoice_days) - 1
            pay_at = finalized + self.rng.randrange(HOUR, send_invoice_days * DAY)
            if pay_at <= self.now:
                charge = self._charge(
                    c,
                    pay_at,
                    total,
                    succeed=True,
                    invoice=invoice_id,
                    payment_intent=payment_intent or "",
                    description=description,
                )
                result = _Collection("paid", charge, 1, paid_at=pay_at, last_attempt=pay_at)
            else:
                result = _Collection("retrying" if finalized <= self.now else "draft")
        else:
            result = self._collect(
                c,
                invoice_id,
                payment_intent or "",
                total,
                finalized,
                description,
                first=first,
                force_fail=force_fail,
                recover_first=recover_first,
                forced=forced,
            )
        number = None
        if result.status != "draft":
            c.invoice_count += 1
            number = f"{c.invoice_prefix}-{c.invoice_count:04d}"
        args = (
            invoice_id,
            c.index,
            created,
            reason,
            tuple(lines),
            subscription,
            period[0],
            period[1],
            total,
            result.record(),
            number,
            finalized,
            payment_intent,
            due_date,
        )
        status = _INVOICE_STATUS[result.status]
        self.tables["invoices"].add(
            created, invoice_id, _render_invoice, args, (c.id, status, subscription)
        )
        return result

    # ---- subscriptions -----------------------------------------------------------------------

    def _subscription(
        self, c: _Customer, t0: int, price: _Price, *, trial: bool, script: _Script | None
    ) -> int | None:
        """Simulate one subscription from ``t0`` to now; return when it ended, if it did."""
        rng = self.rng
        ids = self.ids
        now = self.now
        sub_id = ids.long("sub_")
        item_id = ids.short("si_")
        interval = price.interval or "month"
        tiers = self.yearly if interval == "year" else self.monthly
        s = _SubscriptionState()
        current = price

        def finish(period: tuple[int, int], anchor: int) -> int | None:
            args = (
                sub_id,
                item_id,
                c.index,
                t0,
                current.index,
                period[0],
                period[1],
                anchor,
                s.record(),
            )
            self.tables["subscriptions"].add(
                t0, sub_id, _render_subscription, args, (c.id, s.status, current.id)
            )
            if s.status in ("past_due", "unpaid"):
                c.delinquent = True
            return s.ended_at if s.status == "canceled" else None

        anchor_ts = t0
        if trial:
            trial_end = t0 + 14 * DAY
            s.trial_start, s.trial_end = t0, trial_end
            invoice_id = ids.long("in_")
            line = self._line(
                current,
                0,
                (t0, trial_end),
                sub_id,
                item_id,
                description=f"Trial period for {_TIERS[current.tier][0]}",
            )
            self._invoice(
                c,
                invoice_id,
                t0,
                "subscription_create",
                [line],
                subscription=sub_id,
                period=(t0, t0),
            )
            s.latest_invoice = invoice_id
            if trial_end > now:
                s.status = "trialing"
                return finish((t0, trial_end), trial_end)
            if script is not None:
                outcome = script.trial_outcome
            else:
                roll = rng.random()
                outcome = "cancel" if roll < 0.18 else "pause" if roll < 0.23 else "convert"
            if outcome == "cancel":  # no payment method when the trial ended
                s.status, s.canceled_at, s.ended_at = "canceled", trial_end, trial_end
                s.end_behavior, s.cancellation_reason = "cancel", "cancellation_requested"
                return finish((t0, trial_end), trial_end)
            if outcome == "pause":
                s.status, s.end_behavior = "paused", "pause"
                return finish((trial_end, _Anchor(trial_end, interval).boundary(1)), trial_end)
            anchor_ts = trial_end
        anchor = _Anchor(anchor_ts, interval)
        first = not trial
        k = 0
        ps = anchor_ts
        prev_ps = t0
        pending_downgrade: _Price | None = None
        while True:
            pe = anchor.boundary(k + 1)
            if pending_downgrade is not None:
                current, pending_downgrade = pending_downgrade, None
            elif current is self.legacy_pro and ps >= self.price_migration and rng.random() < 0.5:
                current = self.monthly[2]  # a grandfathered customer moved to current pricing
            invoice_id = ids.long("in_")
            lines = [self._line(current, current.unit_amount, (ps, pe), sub_id, item_id)]
            if first and current.tier >= 2 and rng.random() < 0.35:
                lines.append(
                    self._invoice_item(
                        c,
                        self.onboarding,
                        ps,
                        _ONBOARDING_CENTS,
                        (ps, ps),
                        invoice=invoice_id,
                        subscription=sub_id,
                    )
                )
            elif not first and interval == "month" and current.tier >= 1 and rng.random() < 0.12:
                quantity = rng.randrange(1, 60)
                lines.append(
                    self._invoice_item(
                        c,
                        self.overage,
                        prev_ps + rng.randrange(max(1, ps - prev_ps)),
                        quantity * _OVERAGE_UNIT_CENTS,
                        (prev_ps, ps),
                        invoice=invoice_id,
                        subscription=sub_id,
                        quantity=quantity,
                        description=f"API overage: {quantity * 1000:,} calls",
                    )
                )
            result = self._invoice(
                c,
                invoice_id,
                ps,
                "subscription_create" if first else "subscription_cycle",
                lines,
                subscription=sub_id,
                period=(ps, ps) if first else (prev_ps, ps),
                first=first,
                force_fail=script is not None
                and (script.fail_period == k or (k == 0 and script.fail_first)),
                recover_first=script.recover_first if script else None,
                forced=script.forced(k) if script else None,
            )
            s.latest_invoice = invoice_id
            outcome = result.status
            if outcome == "incomplete":
                s.status = "incomplete"
                return finish((ps, pe), anchor_ts)
            if outcome == "expired":
                s.status, s.ended_at = "incomplete_expired", (result.last_attempt or ps) + 23 * HOUR
                return finish((ps, pe), anchor_ts)
            if outcome == "retrying":
                s.status = "past_due"
                return finish((ps, pe), anchor_ts)
            if outcome == "exhausted":
                if script is not None:
                    final = script.fail_final
                else:
                    final = "cancel" if rng.random() < 0.75 else "unpaid"
                if final == "unpaid":
                    s.status = "unpaid"
                    return finish((ps, pe), anchor_ts)
                ended = result.last_attempt or ps
                s.status, s.canceled_at, s.ended_at = "canceled", ended, ended
                s.cancellation_reason = "payment_failed"
                return finish((ps, pe), anchor_ts)
            # ---- what happens during the period
            window = min(pe, now) - ps
            if window > 2 * HOUR:
                if script is not None:
                    churn = script.cancel_period == k
                    upgrade = script.upgrade_period == k
                    downgrade = script.downgrade_period == k
                elif interval == "year":
                    churn = rng.random() < 0.2
                    upgrade = rng.random() < 0.1
                    downgrade = rng.random() < 0.05
                else:
                    churn = rng.random() < 0.016
                    upgrade = rng.random() < 0.03
                    downgrade = rng.random() < 0.015
                if churn:
                    at = ps + HOUR + rng.randrange(window - HOUR)
                    if script is not None:
                        at_period_end = script.cancel_at_period_end
                    else:
                        at_period_end = rng.random() < 0.55
                    s.cancellation_reason = "cancellation_requested"
                    s.feedback = rng.choice(_CANCEL_FEEDBACK)
                    s.canceled_at = at
                    if at_period_end:
                        s.cancel_at, s.cancel_at_period_end = pe, True
                        if pe <= now:
                            s.status, s.ended_at = "canceled", pe
                    else:
                        s.status, s.ended_at = "canceled", at
                    return finish((ps, pe), anchor_ts)
                if upgrade and current.tier < 3:
                    at = ps + HOUR + rng.randrange(window - HOUR)
                    current, s.latest_invoice = self._upgrade(
                        c, sub_id, item_id, current, tiers, at, ps, pe
                    )
                elif downgrade and current.tier > 0:
                    pending_downgrade = tiers[current.tier - 1]  # takes effect at renewal
            prev_ps = ps
            k += 1
            ps = pe
            first = False
            if ps > now:
                return finish((prev_ps, pe), anchor_ts)

    def _upgrade(
        self,
        c: _Customer,
        sub_id: str,
        item_id: str,
        old: _Price,
        tiers: list[_Price],
        at: int,
        ps: int,
        pe: int,
    ) -> tuple[_Price, str]:
        """Move up a tier now and invoice the prorations at once (``always_invoice``)."""
        new = tiers[old.tier + 1]
        fraction_left = (pe - at) / (pe - ps)
        invoice_id = self.ids.long("in_")
        label = _day_label(at)
        lines = [
            self._invoice_item(
                c,
                old,
                at,
                -round(old.unit_amount * fraction_left),
                (at, pe),
                invoice=invoice_id,
                subscription=sub_id,
                subscription_item=item_id,
                proration=True,
                description=f"Unused time on {_TIERS[old.tier][0]} after {label}",
            ),
            self._invoice_item(
                c,
                new,
                at,
                round(new.unit_amount * fraction_left),
                (at, pe),
                invoice=invoice_id,
                subscription=sub_id,
                subscription_item=item_id,
                proration=True,
                description=f"Remaining time on {_TIERS[new.tier][0]} after {label}",
            ),
        ]
        self._invoice(
            c, invoice_id, at, "subscription_update", lines, subscription=sub_id, period=(at, at)
        )
        return new, invoice_id

    # ---- lifecycles --------------------------------------------------------------------------

    def _pick_price(self, tier: int, interval: str, at: int) -> _Price:
        if interval == "year":
            return self.yearly[tier]
        if tier == 2 and at < self.price_change:
            return self.legacy_pro
        return self.monthly[tier]

    def _lifecycle(self, c: _Customer, script: _Script | None) -> None:
        rng = self.rng
        if script is None:
            roll = rng.random()
            if roll < 0.06:  # never subscribes; some buy the onboarding package on its own
                if rng.random() < 0.5:
                    self._manual_invoice(c)
                self._emit_customer(c)
                return
            t0 = c.created + rng.randrange(5, 15 * MINUTE)
            if roll > 0.9:  # subscribes weeks after signing up
                t0 = c.created + rng.randrange(DAY, 60 * DAY)
            tier = rng.pick((0, 1, 2, 3), _TIER_WEIGHTS)
            interval = "year" if rng.random() < 0.12 else "month"
            trial = rng.random() < 0.3
        else:
            t0 = script.created + 7 * MINUTE
            tier, interval, trial = script.tier, script.interval, script.trial
        reactivations = 0
        while t0 <= self.now:
            price = self._pick_price(tier, interval, t0)
            ended = self._subscription(c, t0, price, trial=trial, script=script)
            if ended is None:
                break
            if script is not None:
                if script.reactivate_after_days is None:
                    break
                t0 = ended + script.reactivate_after_days * DAY
                script = None  # the new subscription lives a normal, random life
            else:
                if rng.random() >= (0.22 if reactivations == 0 else 0.1):
                    break
                t0 = ended + rng.randrange(20 * DAY, 270 * DAY)
            reactivations += 1
            trial = False
            tier = min(3, max(0, tier + rng.choice((-1, 0, 0, 1))))
        self._emit_customer(c)

    def _emit_customer(self, c: _Customer) -> None:
        self.tables["customers"].add(c.created, c.id, _render_customer, (c.index,), (c.email,))

    def _manual_invoice(self, c: _Customer) -> None:
        created = c.created + self.rng.randrange(HOUR, 20 * DAY)
        if created > self.now:
            return
        invoice_id = self.ids.long("in_")
        line = self._invoice_item(
            c,
            self.onboarding,
            created - 600,
            _ONBOARDING_CENTS,
            (created - 600, created - 600),
            invoice=invoice_id,
            subscription=None,
        )
        self._invoice(
            c,
            invoice_id,
            created,
            "manual",
            [line],
            subscription=None,
            period=(created, created),
            send_invoice_days=30,
        )

    def _scripts(self) -> list[_Script]:
        now = self.now

        def months_ago(months: int, days: float = 0) -> int:
            return _add_months(now - int(days * DAY), -months)

        return [
            _Script(now - 5 * DAY, tier=1, trial=True),  # trialing
            _Script(now - 3 * HOUR, tier=0, fail_first=True),  # incomplete
            _Script(now - 40 * DAY, tier=1, fail_first=True, recover_first=False),  # expired
            _Script(months_ago(6, 2), tier=1, fail_period=6),  # past_due, retrying
            _Script(months_ago(10), tier=2, fail_period=7, fail_final="unpaid"),  # unpaid
            _Script(months_ago(14), tier=0, fail_period=5, fail_final="cancel"),  # dunning churn
            _Script(now - 60 * DAY, tier=1, trial=True, trial_outcome="pause"),  # paused
            _Script(now - 45 * DAY, tier=0, trial=True, trial_outcome="cancel"),  # trial lost
            _Script(months_ago(16), tier=0, upgrade_period=3),  # upgrade, prorated
            _Script(months_ago(15), tier=3, downgrade_period=4),  # downgrade at renewal
            _Script(self.start + 20 * DAY, tier=1, cancel_period=6, reactivate_after_days=75),
            _Script(months_ago(9, 10), tier=2, cancel_period=9, cancel_at_period_end=True),
            _Script(months_ago(20), tier=2, interval="year"),  # annual, renewed
            _Script(months_ago(11), tier=1, refund_and_dispute_period=2, full_refund_period=4),
            _Script(self.start + 2 * DAY, tier=2),  # on the legacy Pro price at first
            _Script(months_ago(3), tier=3),  # enterprise, recent
        ]

    def run(self) -> dict[str, Table]:
        rng = self.rng
        span = self.now - self.start
        scripts = self._scripts() if self.n_customers >= 16 else []
        # Signups grow: their density rises linearly from 1x to 1.5x across the history.
        plan: list[tuple[int, _Script | None]] = [
            (self.start + int(span * 2 * ((1 + 1.25 * rng.random()) ** 0.5 - 1)), None)
            for _ in range(self.n_customers - len(scripts))
        ]
        plan += [(script.created, script) for script in scripts]
        plan.sort(key=lambda item: item[0])
        for signup, script in plan:
            customer = self._customer(signup)
            if script is not None:
                customer.reliability = 1.0  # only the script's forced failures happen
            self._lifecycle(customer, script)
        self._payouts()
        context = _Context(self.customers, self.prices)
        return {name: Table(builder, context) for name, builder in self.tables.items()}

    # ---- payouts -----------------------------------------------------------------------------

    def _payouts(self) -> None:
        """Daily automatic payouts of everything that became available that day."""
        now = self.now
        rows = sorted(self.balance_rows, key=lambda item: item[0])
        balance = 0
        unpaid: list[int] = []
        attrs = self.tables["balance_transactions"].attrs
        i, n = 0, len(rows)
        while i < n:
            day = rows[i][0]
            while i < n and rows[i][0] == day:
                balance += rows[i][1]
                unpaid.append(rows[i][2])
                i += 1
            created = day + 2 * HOUR
            if balance <= 0 or created > now:
                continue
            payout_id = self.ids.long("po_")
            txn_id = self.ids.long("txn_")
            arrival = day + 2 * DAY
            status = "paid" if arrival <= now else "in_transit"
            txn = (
                txn_id,
                created,
                -balance,
                0,
                "payout",
                "payout",
                payout_id,
                "STRIPE PAYOUT",
                created,
                "available",
                "",
            )
            self.tables["balance_transactions"].add(
                created, txn_id, _render_balance_transaction, txn, ("payout", payout_id, payout_id)
            )
            for record in unpaid:
                kind, source, _ = attrs[record]
                attrs[record] = (kind, source, payout_id)
            self.tables["payouts"].add(
                created,
                payout_id,
                _render_payout,
                (payout_id, created, balance, arrival, status, txn_id),
                (status,),
            )
            balance = 0
            unpaid = []


def generate(
    seed: int,
    customers: int = DEFAULT_CUSTOMERS,
    *,
    now: int = REFERENCE_NOW,
    years: int = HISTORY_YEARS,
    render: bool = False,
) -> StripeDataset:
    """Simulate ``customers`` customers over ``years`` years up to ``now``; deterministic.

    Tables serialize on first use; ``render=True`` serializes every table before returning.
    """
    if customers < 0:
        raise ValueError("customers must be >= 0")
    if years < 1:
        raise ValueError("years must be >= 1")
    started = time.perf_counter()
    with _no_gc():
        generator = _Generator(seed, customers, now, years)
        tables = generator.run()
    dataset = StripeDataset(
        seed=seed,
        customers=customers,
        now=now,
        start=generator.start,
        tables=tables,
    )
    if render:
        dataset.render()
    dataset.generation_seconds = time.perf_counter() - started
    return dataset

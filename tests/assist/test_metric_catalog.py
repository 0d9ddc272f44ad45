"""Every catalog metric, compiled to SQL and run over an ingested Stripe sandbox, against the pandas
reference recomputed from the sandbox's raw objects (tests/assist/stripe_reference.py)."""

import itertools
from datetime import date

import pandas as pd
import pytest

from assist.semantic.catalog import load_catalog
from assist.semantic.query import GRAINS, MetricQuery, TimeRange
from connectors.sandbox.stripe import running_stripe_sandbox
from governance.governed_query import QueryResult
from governance.platform import Platform
from governance.settings import Settings
from services import assist, connections, identity, tenants
from services.context import Operator, ServiceContext
from services.ingestion import ingest
from tests.assist.stripe_reference import API_KEY, fetch_objects, reference
from tests.fixtures.platform import acting_as, dispose

SEED, CUSTOMERS = 11, 120
TODAY = date(2026, 11, 1)  # the sandbox's "now"; its history starts about two years earlier
OWNER = "owner@acme.io"
CATALOG = load_catalog()
TOLERANCE = {"currency": 0.005, "ratio": 0.0001, "count": 0}
WINDOWS: dict[str | None, TimeRange | None] = {
    # grain -> the range it is asked over (None: the metric's default); the week, quarter and
    # year ranges start mid-period, so their first period is clipped
    None: None,
    "day": TimeRange(date(2026, 9, 20), date(2026, 10, 4)),
    "week": TimeRange(date(2026, 6, 10), date(2026, 9, 10)),
    "month": None,
    "quarter": TimeRange(date(2025, 2, 15), date(2026, 11, 1)),
    "year": TimeRange(date(2024, 6, 1), date(2026, 11, 1)),
}


SPECIAL_CASES = [
    # filters, orders with limits, two dimensions, ranges without a grain
    MetricQuery("mrr", dimensions=("plan", "country")),
    MetricQuery("mrr", dimensions=("customer",), order="desc", limit=10),
    MetricQuery("arpa", grain="quarter", dimensions=("plan",), order="asc", limit=3),
    MetricQuery("mrr", time_range=TimeRange(date(2025, 1, 1), date(2025, 7, 1))),
    MetricQuery("active_customers", "month", ("plan",), filters=(("country", "US"),)),
    MetricQuery("mrr", "week", filters=(("plan", "Pro"),), time_range=WINDOWS["week"]),
    MetricQuery(
        "churned_mrr",
        dimensions=("customer",),
        order="desc",
        limit=5,
        time_range=TimeRange(date(2025, 11, 1), date(2026, 11, 1)),
    ),
    MetricQuery("new_mrr", "quarter", ("country",), filters=(("plan", "Starter"),)),
    MetricQuery("net_mrr_retention", time_range=TimeRange(date(2026, 4, 1), date(2026, 7, 1))),
    MetricQuery("net_revenue", dimensions=("customer",), order="desc", limit=10),
    MetricQuery("failed_payment_rate", dimensions=("customer",), order="asc", limit=5),
    MetricQuery(
        "gross_volume", "quarter", filters=(("country", "GB"),), time_range=WINDOWS["quarter"]
    ),
    MetricQuery("refunds", time_range=TimeRange(date(2026, 1, 1), date(2026, 7, 1))),
    MetricQuery("trial_conversion_rate", "year", ("plan",), filters=(("currency", "usd"),)),
]


def at_grain(metric: str, grain: str | None, **rest) -> MetricQuery:
    return MetricQuery(metric, grain=grain, time_range=WINDOWS[grain], **rest)


def cases() -> list[MetricQuery]:
    """Each metric as of its default range and at one grain (the grains taken in turn), split by
    customer and by its other dimensions together (at the grains in turn, and none), and
    ``SPECIAL_CASES``."""
    metrics = list(CATALOG.metrics.values())
    grains = itertools.cycle(GRAINS)
    split_grains = itertools.cycle((None, *GRAINS))
    found = [MetricQuery(m.name) for m in metrics]
    found += [at_grain(m.name, next(grains)) for m in metrics]
    for m in metrics:  # by customer alone; by the other dimensions together
        groups = [(d,) for d in m.dimensions if d == "customer"]
        groups += [tuple(d for d in m.dimensions if d != "customer")]
        found += [
            at_grain(m.name, next(split_grains), dimensions=group) for group in groups if group
        ]
    return [*found, *SPECIAL_CASES]


def describe(query: MetricQuery) -> str:
    parts = [query.metric, query.grain or "", "by " + "+".join(query.dimensions)]
    parts += [f"{d}={v}" for d, v in query.filters]
    if query.time_range:
        parts.append(f"{query.time_range.start}..{query.time_range.end}")
    if query.order:
        parts.append(f"{query.order} {query.limit}")
    return " ".join(p for p in parts if p not in ("", "by "))


CASES = cases()


def test_the_cases_cover_every_metric_grain_and_dimension():
    asked = {(q.metric, d) for q in CASES for d in q.dimensions}
    assert asked == {(m.name, d) for m in CATALOG.metrics.values() for d in m.dimensions}
    for kind in ("stock", "movement", "flow"):
        kinds = [q for q in CASES if CATALOG.metrics[q.metric].kind == kind]
        assert {q.grain for q in kinds} == {None, *GRAINS}
        assert any(q.time_range and not q.grain for q in kinds)
    assert any(q.filters for q in CASES) and any(q.limit for q in CASES)


@pytest.fixture(scope="module")
def stripe(tmp_path_factory) -> tuple[ServiceContext, dict]:
    """Tenant acme's owner, once acme loaded a Stripe sandbox; and that sandbox's raw objects."""
    platform = Platform(Settings(home=tmp_path_factory.mktemp("metric_catalog") / "home"))
    operator = ServiceContext(platform, Operator("test"))
    tenants.create_tenant(operator, "acme")
    identity.add_user(operator, "acme", OWNER, ["owner"])
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connections.add_connection(
            operator, "acme", "stripe", {"base_url": url}, {"api_key": API_KEY}
        )
        ingest(operator, "acme", "stripe")
        objects = fetch_objects(url)
    yield acting_as(operator, OWNER), objects
    dispose(platform)


def assert_same_answer(result: QueryResult, expected: pd.DataFrame, unit: str) -> None:
    """Same columns, the same rows in the same order, values within the unit's tolerance."""
    assert result.columns == list(expected.columns)
    assert not result.truncated
    rows = list(expected.itertuples(index=False, name=None))
    assert [row[:-1] for row in result.rows] == [row[:-1] for row in rows]
    values = [row[-1] for row in result.rows]
    kinds = {int} if unit == "count" else {float, type(None)}
    assert {type(value) for value in values} <= kinds
    assert values == pytest.approx([row[-1] for row in rows], abs=TOLERANCE[unit])


@pytest.mark.parametrize("query", CASES, ids=describe)
def test_the_metric_agrees_with_the_reference(stripe, query):
    owner, objects = stripe
    result = assist.run_metric(owner, "acme", query, today=TODAY)
    expected = reference(objects, query, CATALOG, TODAY)
    assert_same_answer(result, expected, CATALOG.metrics[query.metric].unit)


def test_the_sandbox_has_every_kind_of_movement(stripe):
    """The comparison means something only if the data moves every way the catalog counts."""
    _, objects = stripe
    for metric in (
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "reactivation_mrr",
    ):
        monthly = reference(objects, MetricQuery(metric, "month"), CATALOG, TODAY)
        assert monthly[metric].sum() > 0, metric
    for metric in ("refunds", "disputes", "failed_charges", "trial_conversion_rate"):
        assert reference(objects, MetricQuery(metric), CATALOG, TODAY)[metric][0] > 0, metric

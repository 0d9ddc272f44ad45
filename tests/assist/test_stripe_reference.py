"""The pandas reference on tiny hand-built Stripe accounts: each expected number is worked out by
hand from the catalog's conventions (MRR in cents: 2900 a month is 29.00)."""

import itertools
from datetime import date
from typing import Any

import pytest

from assist.semantic.catalog import load_catalog
from assist.semantic.query import MetricQuery, TimeRange
from connectors.sandbox.stripe import generate, running_stripe_sandbox
from tests.assist.stripe_reference import RESOURCES, fetch_objects, reference, timestamp

PRICES = {
    # price id: (product name, unit amount in cents, interval or None for one-time)
    "starter": ("Starter", 2900, "month"),
    "growth": ("Growth", 7900, "month"),
    "enterprise_yearly": ("Enterprise", 120000, "year"),
    "onboarding": ("Onboarding", 50000, None),
}


def ts(month: int, day: int, hour: int = 0, year: int = 2026) -> int:
    return timestamp(date(year, month, day)) + hour * 3600


def days(start: tuple[int, int], end: tuple[int, int]) -> TimeRange:
    """2026's days ``start`` (month, day) up to ``end``."""
    return TimeRange(date(2026, *start), date(2026, *end))


class Account:
    """A hand-built Stripe account: the raw objects, shaped as the API serves them."""

    def __init__(self) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {r: [] for r in RESOURCES}
        self.ids = itertools.count(1)
        for price_id, (product, *_) in PRICES.items():
            self.objects["products"].append({"id": f"prod_{price_id}", "name": product})
            self.objects["prices"].append(self.price(price_id))

    @staticmethod
    def price(price_id: str) -> dict[str, Any]:
        _, cents, interval = PRICES[price_id]
        recurring = interval and {"interval": interval, "interval_count": 1}
        return {
            "id": price_id,
            "object": "price",
            "product": f"prod_{price_id}",
            "type": "recurring" if interval else "one_time",
            "recurring": recurring,
            "unit_amount": cents,
            "currency": "usd",
        }

    def customer(self, name: str | None, country: str | None = "US", email: str | None = None):
        customer_id = f"cus_{next(self.ids)}"
        address = country and {"country": country, "city": None}
        self.objects["customers"].append(
            {"id": customer_id, "name": name, "email": email, "address": address}
        )
        return customer_id

    def subscription(
        self,
        customer: str,
        price_id: str = "starter",
        ended_at: int | None = None,
        trial_start: int | None = None,
    ) -> str:
        sub_id = f"sub_{next(self.ids)}"
        item = {"id": f"si_{next(self.ids)}", "price": self.price(price_id), "quantity": 1}
        self.objects["subscriptions"].append(
            {
                "id": sub_id,
                "customer": customer,
                "currency": "usd",
                "ended_at": ended_at,
                "trial_start": trial_start,
                "items": {"object": "list", "data": [item], "has_more": False},
            }
        )
        return sub_id

    def invoice(self, customer: str, *lines: dict[str, Any], status: str = "paid") -> None:
        self.objects["invoices"].append(
            {
                "id": f"in_{next(self.ids)}",
                "customer": customer,
                "status": status,
                "lines": {"object": "list", "data": list(lines), "has_more": False},
            }
        )

    def bill(
        self,
        customer: str,
        subscription: str,
        price_id: str,
        start: int,
        end: int,
        status: str = "paid",
        amount: int | None = None,
        quantity: int = 1,
    ) -> None:
        """An invoice with one line: ``price_id`` x ``quantity`` over [start, end)."""
        cents = PRICES[price_id][1] * quantity if amount is None else amount
        self.invoice(
            customer, self.line(subscription, price_id, start, end, cents, quantity), status=status
        )

    def line(
        self, subscription: str, price_id: str, start: int, end: int, amount: int, quantity: int = 1
    ) -> dict[str, Any]:
        return {
            "id": f"il_{next(self.ids)}",
            "amount": amount,
            "currency": "usd",
            "period": {"start": start, "end": end},
            "price": self.price(price_id),
            "quantity": quantity,
            "subscription": subscription,
        }

    def monthly(self, customer: str, subscription: str, price_id: str, months: range) -> None:
        """Paid renewals on the 1st of each of 2026's ``months``."""
        for month in months:
            self.bill(customer, subscription, price_id, ts(month, 1), ts(month + 1, 1))

    def charge(self, customer: str, created: int, amount: int, status: str = "succeeded") -> str:
        charge_id = f"ch_{next(self.ids)}"
        self.objects["charges"].append(
            {
                "id": charge_id,
                "customer": customer,
                "created": created,
                "amount": amount,
                "currency": "usd",
                "status": status,
            }
        )
        return charge_id

    def refund(self, charge: str, created: int, amount: int, status: str = "succeeded") -> None:
        self.objects["refunds"].append(
            {
                "id": f"re_{next(self.ids)}",
                "charge": charge,
                "created": created,
                "amount": amount,
                "currency": "usd",
                "status": status,
            }
        )

    def dispute(self, charge: str, created: int) -> None:
        self.objects["disputes"].append(
            {"id": f"dp_{next(self.ids)}", "charge": charge, "created": created, "currency": "usd"}
        )

    def rows(self, today: date = date(2026, 6, 1), **query: Any) -> list[tuple]:
        answer = reference(self.objects, MetricQuery(**query), load_catalog(), today)
        return list(answer.itertuples(index=False, name=None))

    def columns(self, **query: Any) -> list[str]:
        return list(reference(self.objects, MetricQuery(**query), load_catalog(), date(2026, 6, 1)))


@pytest.fixture
def account() -> Account:
    return Account()


def test_an_annual_plan_adds_a_twelfth_of_its_price_and_seats_multiply(account):
    ada = account.customer("Ada", "GB")
    annual = account.subscription(ada, "enterprise_yearly")
    account.bill(ada, annual, "enterprise_yearly", ts(1, 15), ts(1, 15, year=2027))
    ben = account.customer("Ben", "US")
    seats = account.subscription(ben, "growth")
    account.bill(ben, seats, "growth", ts(5, 20), ts(6, 20), quantity=2)

    assert account.rows(metric="mrr") == [(258.0,)]  # 1200.00 / 12 + 2 x 79.00
    assert account.rows(metric="arr") == [(3096.0,)]
    assert account.rows(metric="mrr", dimensions=("plan",)) == [
        ("Enterprise", 100.0),
        ("Growth", 158.0),
    ]
    assert account.rows(metric="active_subscriptions") == [(2,)]


def test_only_positive_recurring_lines_of_paid_invoices_count(account):
    ada = account.customer("Ada")
    annual = account.subscription(ada, "enterprise_yearly")
    account.invoice(
        ada,
        account.line(annual, "enterprise_yearly", ts(1, 15), ts(1, 15, year=2027), 120000),
        account.line(annual, "onboarding", ts(1, 15), ts(1, 15), 50000),
    )
    late = account.customer("Late payer")
    unpaid = account.subscription(late)
    account.bill(late, unpaid, "starter", ts(5, 20), ts(6, 20), status="open")
    trial = account.customer("Trialist")
    trialing = account.subscription(trial, trial_start=ts(5, 25))
    account.bill(trial, trialing, "starter", ts(5, 25), ts(6, 8), amount=0)

    assert account.rows(metric="mrr") == [(100.0,)]
    assert account.rows(metric="active_customers") == [(1,)]


def test_an_upgrade_mid_period_reads_the_new_price_from_its_proration_line(account):
    ben = account.customer("Ben")
    sub = account.subscription(ben)
    account.monthly(ben, sub, "starter", range(2, 4))
    upgrade_at = ts(3, 16, hour=12)
    account.invoice(
        ben,
        account.line(sub, "starter", upgrade_at, ts(4, 1), -1450),
        account.line(sub, "growth", upgrade_at, ts(4, 1), 3950),
    )

    daily = account.rows(metric="mrr", grain="day", time_range=days((3, 15), (3, 18)))
    assert daily == [
        (date(2026, 3, 15), 29.0),
        (date(2026, 3, 16), 79.0),
        (date(2026, 3, 17), 79.0),
    ]
    march = days((3, 1), (4, 1))
    # Ben paid at March's start, so his move counts under the plan he had then.
    assert account.rows(metric="expansion_mrr", dimensions=("plan",), time_range=march) == [
        ("Starter", 50.0)
    ]
    assert account.rows(metric="net_new_mrr", time_range=march) == [(50.0,)]


def churn_and_return(account: Account) -> None:
    """Cy (no name) pays 79.00 from January, cancels on 10 February, comes back on 5 April;
    Dan signs up on 3 March and cancels on 20 March."""
    cy = account.customer(None, "DE", email="cy@example.com")
    first = account.subscription(cy, "growth", ended_at=ts(2, 10))
    account.monthly(cy, first, "growth", range(1, 3))
    again = account.subscription(cy, "growth")
    account.bill(cy, again, "growth", ts(4, 5), ts(5, 5))
    dan = account.customer("Dan")
    brief = account.subscription(dan, ended_at=ts(3, 20))
    account.bill(dan, brief, "starter", ts(3, 3), ts(4, 3))


@pytest.mark.parametrize(
    ("metric", "by_month"),
    [
        ("new_mrr", [79.0, 0.0, 0.0, 0.0]),
        ("churned_mrr", [0.0, 79.0, 0.0, 0.0]),
        ("reactivation_mrr", [0.0, 0.0, 0.0, 79.0]),
        ("net_new_mrr", [79.0, -79.0, 0.0, 79.0]),
        ("customer_churn_rate", [None, 1.0, None, None]),
    ],
)
def test_a_churn_and_a_reactivation_move_mrr_in_their_months(account, metric, by_month):
    churn_and_return(account)
    months = [date(2026, m, 1) for m in range(1, 5)]
    rows = account.rows(metric=metric, grain="month", time_range=days((1, 1), (5, 1)))
    assert rows == list(zip(months, by_month, strict=True))


def test_a_customer_split_names_the_customer_by_email_when_unnamed(account):
    churn_and_return(account)
    rows = account.rows(
        metric="churned_mrr",
        grain="month",
        dimensions=("customer",),
        time_range=days((1, 1), (5, 1)),
    )
    assert rows == [(date(2026, 2, 1), "cy@example.com", 79.0)]


def test_ltv_and_retention_come_from_the_customers_paying_at_the_start(account):
    stays = account.customer("Stays")
    kept = account.subscription(stays, "growth")
    account.monthly(stays, kept, "growth", range(1, 3))
    leaves = account.customer("Leaves")
    lost = account.subscription(leaves, ended_at=ts(2, 10))
    account.monthly(leaves, lost, "starter", range(1, 3))
    february = days((2, 1), (3, 1))

    assert account.rows(metric="customer_churn_rate", time_range=february) == [(0.5,)]
    # ARPA at the start (79.00 + 29.00) / 2 = 54.00, over a churn rate of 1/2.
    assert account.rows(metric="ltv", time_range=february) == [(108.0,)]
    assert account.rows(metric="gross_mrr_retention", time_range=february) == [(0.7315,)]  # 79/108
    assert account.rows(metric="net_mrr_retention", time_range=february) == [(0.7315,)]


def test_a_customer_counts_wholly_under_the_plan_of_their_largest_line(account):
    both = account.customer("Both")
    small, large = account.subscription(both), account.subscription(both, "growth")
    account.bill(both, small, "starter", ts(5, 10), ts(6, 10))
    account.bill(both, large, "growth", ts(5, 12), ts(6, 12))

    assert account.rows(metric="mrr", dimensions=("plan",)) == [("Growth", 108.0)]
    assert account.rows(metric="active_subscriptions", dimensions=("plan",)) == [("Growth", 2)]
    assert account.rows(metric="arpa", dimensions=("plan",)) == [("Growth", 108.0)]


def test_a_trial_converts_when_its_subscription_later_pays_a_recurring_line(account):
    dee = account.customer("Dee", "US")
    converted = account.subscription(dee, trial_start=ts(2, 2))
    account.bill(dee, converted, "starter", ts(2, 2), ts(2, 16), amount=0)
    account.bill(dee, converted, "starter", ts(2, 16), ts(3, 16))
    anonymous = account.customer(None, "FR")
    lapsed = account.subscription(anonymous, "growth", ended_at=ts(3, 6), trial_start=ts(2, 20))
    account.bill(anonymous, lapsed, "growth", ts(2, 20), ts(3, 6), amount=0)

    rows = account.rows(
        metric="trial_conversion_rate", grain="month", time_range=days((2, 1), (3, 1))
    )
    assert rows == [(date(2026, 2, 1), 0.5)]
    assert account.rows(metric="trial_conversion_rate", dimensions=("plan",)) == [
        ("Growth", 0.0),
        ("Starter", 1.0),
    ]


def payments(account: Account) -> None:
    """Ana pays 100.00 on 5 January and gets 20.00 back on 10 February (a pending 10.00 refund
    aside); Bo's card fails on 2 February, pays 50.00 on 3 February and disputes it on the 20th."""
    ana, bo = account.customer("Ana", "GB"), account.customer("Bo", "US")
    paid = account.charge(ana, ts(1, 5), 10000)
    account.refund(paid, ts(2, 10), 2000)
    account.refund(paid, ts(2, 11), 1000, status="pending")
    account.charge(bo, ts(2, 2), 5000, status="failed")
    account.dispute(account.charge(bo, ts(2, 3), 5000), ts(2, 20))


@pytest.mark.parametrize(
    ("metric", "january", "february"),
    [
        ("gross_volume", 100.0, 50.0),
        ("refunds", 0.0, 20.0),
        ("net_revenue", 100.0, 30.0),
        ("failed_charges", 0, 1),
        ("failed_payment_rate", 0.0, 0.5),
        ("disputes", 0, 1),
        ("dispute_rate", 0.0, 1.0),
    ],
)
def test_flow_metrics_add_up_each_event_in_the_month_it_happened(
    account, metric, january, february
):
    payments(account)
    rows = account.rows(metric=metric, grain="month", time_range=days((1, 1), (3, 1)))
    assert rows == [(date(2026, 1, 1), january), (date(2026, 2, 1), february)]


def test_refunds_and_disputes_belong_to_the_customer_of_their_charge(account):
    payments(account)
    assert account.rows(metric="net_revenue", dimensions=("customer",)) == [
        ("Ana", 80.0),
        ("Bo", 50.0),
    ]
    assert account.rows(metric="disputes", dimensions=("country",)) == [("US", 1)]
    assert account.rows(metric="dispute_rate") == [(0.5,)]  # all time: 1 dispute, 2 charges


def test_a_grain_without_a_range_covers_the_last_twelve_complete_months(account):
    payments(account)  # today is 1 June 2026: June 2025 to May 2026
    assert account.rows(metric="gross_volume", grain="quarter") == [
        (date(2025, 4, 1), 0.0),
        (date(2025, 7, 1), 0.0),
        (date(2025, 10, 1), 0.0),
        (date(2026, 1, 1), 150.0),
        (date(2026, 4, 1), 0.0),
    ]
    refunds = account.rows(metric="refunds", grain="month")
    assert (refunds[0], len(refunds), refunds[8]) == (
        (date(2025, 6, 1), 0.0),
        12,
        (date(2026, 2, 1), 20.0),
    )


def test_weeks_start_on_monday_and_periods_are_clipped_to_the_range(account):
    payments(account)
    # 1 January 2026 is a Thursday: its week began on Monday 29 December.
    rows = account.rows(metric="gross_volume", grain="week", time_range=days((1, 1), (1, 15)))
    assert rows == [
        (date(2025, 12, 29), 0.0),
        (date(2026, 1, 5), 100.0),
        (date(2026, 1, 12), 0.0),
    ]


def test_without_a_range_stock_reads_today_and_movement_the_last_full_month(account):
    ada = account.customer("Ada")
    annual = account.subscription(ada, "enterprise_yearly")
    account.bill(ada, annual, "enterprise_yearly", ts(1, 15), ts(1, 15, year=2027))

    assert account.rows(metric="mrr", today=date(2026, 1, 14)) == [(0.0,)]
    assert account.rows(metric="mrr", today=date(2026, 1, 15)) == [(100.0,)]
    assert account.rows(metric="new_mrr", today=date(2026, 2, 10)) == [(100.0,)]
    assert account.rows(metric="new_mrr", today=date(2026, 3, 1)) == [(0.0,)]
    monthly = account.rows(metric="mrr", grain="month", today=date(2026, 6, 15))
    assert [period for period, _ in monthly] == [
        *(date(2025, month, 1) for month in range(6, 13)),
        *(date(2026, month, 1) for month in range(1, 6)),
    ]
    assert [mrr for _, mrr in monthly] == [0.0] * 7 + [100.0] * 5


def team(account: Account) -> None:
    """Zoe and Abe pay 79.00 (Abe from GB), Kim 29.00; all on renewals from 1 May."""
    for name, country, price in (
        ("Zoe", "US", "growth"),
        ("Abe", "GB", "growth"),
        ("Kim", "US", "starter"),
    ):
        customer = account.customer(name, country)
        account.monthly(customer, account.subscription(customer, price), price, range(5, 6))


def test_order_sorts_by_value_then_by_dimension_and_limit_keeps_the_first_rows(account):
    team(account)
    by_customer = {"metric": "mrr", "dimensions": ("customer",), "today": date(2026, 5, 20)}
    assert account.rows(**by_customer, order="desc", limit=2) == [("Abe", 79.0), ("Zoe", 79.0)]
    assert account.rows(**by_customer, order="asc", limit=2) == [("Kim", 29.0), ("Abe", 79.0)]
    assert account.rows(**by_customer) == [("Abe", 79.0), ("Kim", 29.0), ("Zoe", 79.0)]


def test_filters_keep_the_entities_whose_attribute_matches(account):
    team(account)
    today = date(2026, 5, 20)
    assert account.rows(metric="mrr", filters=(("country", "US"),), today=today) == [(108.0,)]
    assert account.rows(
        metric="active_customers",
        dimensions=("country",),
        filters=(("plan", "Growth"),),
        today=today,
    ) == [("GB", 1), ("US", 1)]


def test_net_new_mrr_is_the_change_in_mrr_over_each_period(account):
    churn_and_return(account)
    ben = account.customer("Ben")
    sub = account.subscription(ben)
    account.monthly(ben, sub, "starter", range(1, 6))
    account.invoice(ben, account.line(sub, "growth", ts(3, 16), ts(4, 1), 3950))
    year = TimeRange(date(2025, 12, 1), date(2026, 6, 1))
    mrr = [value for _, value in account.rows(metric="mrr", grain="month", time_range=year)]
    changes = [round(after - before, 2) for before, after in itertools.pairwise(mrr)]
    net_new = account.rows(metric="net_new_mrr", grain="month", time_range=year)
    assert [value for _, value in net_new][1:] == changes
    assert any(changes)


def test_the_result_has_period_then_dimensions_then_the_metric(account):
    assert account.columns(metric="mrr", grain="week", dimensions=("plan", "country")) == [
        "period",
        "plan",
        "country",
        "mrr",
    ]
    assert account.columns(metric="disputes", dimensions=("currency",)) == ["currency", "disputes"]


def test_fetch_objects_pages_through_every_object_including_canceled_subscriptions():
    seed, customers = 3, 30
    with running_stripe_sandbox(seed=seed, customers=customers, rate_limit_every=None) as url:
        objects = fetch_objects(url)
    expected = generate(seed, customers).counts()
    assert {r: len(objects[r]) for r in RESOURCES} == {r: expected[r] for r in RESOURCES}
    assert len({o["id"] for o in objects["charges"]}) == len(objects["charges"]) > 100
    assert any(s["status"] == "canceled" for s in objects["subscriptions"])

"""An independent reference for the metric catalog: each metric recomputed in pandas from the raw
Stripe objects (as the Stripe API serves them), following the catalog's written conventions.

It shares nothing with the SQL compiler: not the warehouse, not its tables, not its code. The
tests hold ``services.assist.run_metric`` to :func:`reference`, row for row.
"""

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pandas as pd

from assist.semantic.catalog import Catalog, Metric
from assist.semantic.query import MetricQuery

API_KEY = "sk_test_sandbox"
RESOURCES = (
    "customers",
    "subscriptions",
    "invoices",
    "charges",
    "refunds",
    "disputes",
    "prices",
    "products",
)
DIMENSIONS = ("customer", "plan", "currency", "country")
MONTHS_PER_INTERVAL = {"day": 12 / 365, "week": 12 / 52, "month": 1, "year": 12}
MRR_DECIMALS = 6
"""Customer MRR (in cents) is rounded to this many decimals so that float sums taken in another
order still compare equal (an unchanged customer must not read as a tiny expansion)."""


def fetch_objects(base_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every object of each of ``RESOURCES``, paging through Stripe's list endpoints."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        return {resource: _list_all(client, resource) for resource in RESOURCES}


def _list_all(client: httpx.Client, resource: str) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 100}
    if resource == "subscriptions":
        params["status"] = "all"  # Stripe's default leaves canceled subscriptions out
    objects: list[dict[str, Any]] = []
    while True:
        response = client.get(f"/v1/{resource}", params=params)
        response.raise_for_status()
        page = response.json()
        objects += page["data"]
        if not page["has_more"]:
            return objects
        params["starting_after"] = page["data"][-1]["id"]


# ---------------------------------------------------------------------------------- time


@dataclass(frozen=True)
class Period:
    """A row's period: ``label`` (the grain's first day, None without a grain) and the clipped
    bounds ``start``..``end`` (None for all time)."""

    label: date | None
    start: date | None
    end: date | None


def timestamp(day: date) -> int:
    """Unix seconds at the start of ``day`` (UTC)."""
    return calendar.timegm(day.timetuple())


def day_of(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def truncate(day: date, grain: str) -> date:
    """The first day of ``day``'s calendar period (weeks start on Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def add_months(first: date, months: int) -> date:
    """The first of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_period(first: date, grain: str) -> date:
    """The first day of the period after the one starting on ``first``."""
    if grain in ("day", "week"):
        return first + timedelta(days=1 if grain == "day" else 7)
    return add_months(first, {"month": 1, "quarter": 3, "year": 12}[grain])


def periods(start: date, end: date, grain: str | None) -> list[Period]:
    """The grain's calendar periods from ``start``'s to the one holding ``end``'s eve, each
    clipped to [start, end); without a grain, the range itself."""
    if grain is None:
        return [Period(None, start, end)]
    found = []
    first = truncate(start, grain)
    while first < end:
        following = next_period(first, grain)
        found.append(Period(first, max(first, start), min(following, end)))
        first = following
    return found


def default_range(kind: str, grain: str | None, today: date) -> tuple[date, date]:
    """The range a query without one covers (a flow without a grain covers all time)."""
    this_month = today.replace(day=1)
    if grain is not None:
        return add_months(this_month, -12), this_month
    if kind == "stock":
        return today, today + timedelta(days=1)
    return add_months(this_month, -1), this_month


# ---------------------------------------------------------------------------- the account


def _label(customer: dict[str, Any]) -> str:
    return customer.get("name") or customer.get("email") or customer["id"]


def _country(customer: dict[str, Any] | None) -> str | None:
    return ((customer or {}).get("address") or {}).get("country")


def _monthly(price: dict[str, Any], quantity: int) -> float:
    """A recurring price's amount per month, in cents."""
    recurring = price["recurring"]
    months = recurring["interval_count"] * MONTHS_PER_INTERVAL[recurring["interval"]]
    return price["unit_amount"] * quantity / months


def _listed(parent: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """An embedded list's elements; a truncated one would make the reference wrong."""
    embedded = parent[field]
    if embedded["has_more"]:
        raise ValueError(f"{parent['id']}: {field} has more elements than it embeds")
    return embedded["data"]


class Account:
    """The raw objects, as the frames the metrics read."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.products = {p["id"]: p["name"] for p in objects["products"]}
        customers = {c["id"]: c for c in objects["customers"]}
        self.customers = pd.DataFrame(
            [(_label(c), _country(c)) for c in customers.values()],
            index=pd.Index(list(customers), name="customer_id"),
            columns=["customer", "country"],
            dtype=object,
        )
        self.subscriptions = {s["id"]: s for s in objects["subscriptions"]}
        self.lines = self._qualifying_lines(objects["invoices"])
        self.charges = pd.DataFrame(
            [self._charge_row(charge, customers) for charge in objects["charges"]],
            columns=["id", "ts", "customer", "currency", "country", "status", "amount"],
        )
        self.charge_owner = self.charges.set_index("id")[["customer", "country"]]
        self.refunds = self._charge_events(objects["refunds"], ["status", "amount"])
        self.disputes = self._charge_events(objects["disputes"], [])
        self.trials = self._trials(customers)

    def _qualifying_lines(self, invoices: Iterable[dict[str, Any]]) -> pd.DataFrame:
        """Positive recurring lines of paid invoices: what each adds to MRR and when."""
        rows = []
        for invoice in invoices:
            if invoice["status"] != "paid":
                continue
            for line in _listed(invoice, "lines"):
                price = line.get("price") or {}
                if line["amount"] > 0 and price.get("type") == "recurring":
                    ended_at = self.subscriptions[line["subscription"]]["ended_at"]
                    rows.append(
                        {
                            "customer_id": invoice["customer"],
                            "subscription": line["subscription"],
                            "start": line["period"]["start"],
                            "end": line["period"]["end"],
                            "ended_at": float("nan") if ended_at is None else ended_at,
                            "mrr": _monthly(price, line["quantity"]),
                            "plan": self.products[price["product"]],
                            "currency": line["currency"],
                        }
                    )
        columns = ["customer_id", "subscription", "start", "end", "ended_at", "mrr", "plan"]
        return pd.DataFrame(rows, columns=[*columns, "currency"])

    @staticmethod
    def _charge_row(charge: dict[str, Any], customers: dict[str, Any]) -> dict[str, Any]:
        customer = customers.get(charge["customer"])
        return {
            "id": charge["id"],
            "ts": charge["created"],
            "customer": customer and _label(customer),
            "currency": charge["currency"],
            "country": _country(customer),
            "status": charge["status"],
            "amount": charge["amount"],
        }

    def _charge_events(self, objects: list[dict[str, Any]], fields: list[str]) -> pd.DataFrame:
        """Refunds or disputes, with the customer (and country) of the charge they concern."""
        frame = pd.DataFrame(
            [
                {"charge": o["charge"], "ts": o["created"], "currency": o["currency"]}
                | {field: o[field] for field in fields}
                for o in objects
            ],
            columns=["charge", "ts", "currency", *fields],
        )
        return frame.join(self.charge_owner, on="charge")

    def _trials(self, customers: dict[str, Any]) -> pd.DataFrame:
        """Subscriptions that started a trial, by its start, and whether they ever paid."""
        converted = set(self.lines.subscription)
        rows = [
            {
                "ts": s["trial_start"],
                "plan": self.products[_listed(s, "items")[0]["price"]["product"]],
                "currency": s["currency"],
                "country": _country(customers.get(s["customer"])),
                "converted": int(s["id"] in converted),
            }
            for s in self.subscriptions.values()
            if s["trial_start"] is not None
        ]
        return pd.DataFrame(rows, columns=["ts", "plan", "currency", "country", "converted"])

    def paying_at(self, t: int) -> pd.DataFrame:
        """Customers with MRR above zero at second ``t``, by id: ``mrr`` (cents),
        ``subscriptions`` (how many pay) and their attributes then."""
        lines = self.lines
        covering = lines[(lines.start <= t) & (t < lines.end) & ~(lines.ended_at <= t)]
        chosen = covering.sort_values(["start", "mrr"], ascending=False, kind="stable")
        chosen = chosen.drop_duplicates("subscription")
        chosen = chosen[chosen.mrr > 0]
        largest = chosen.sort_values(["mrr", "plan"], ascending=[False, True], kind="stable")
        largest = largest.drop_duplicates("customer_id").set_index("customer_id")
        totals = chosen.groupby("customer_id").agg(
            mrr=("mrr", "sum"), subscriptions=("subscription", "size")
        )
        totals["mrr"] = totals.mrr.round(MRR_DECIMALS)
        return totals.join(largest[["plan", "currency"]]).join(self.customers)

    def first_paid_start(self) -> pd.Series:
        """Per customer, the earliest start of a qualifying line of a not-yet-ended subscription."""
        lines = self.lines
        live = lines[~(lines.ended_at <= lines.start)]
        return live.groupby("customer_id").start.min()


# --------------------------------------------------------------------------- the metrics


Sums = defaultdict[str, float]
"""A group's column sums (absent columns read 0)."""


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _ltv(s: Sums) -> float | None:
    rate = _ratio(s["churners"], s["paying"])
    return (s["start_mrr"] / s["paying"]) / rate if rate else None


VALUES: dict[str, Callable[[Sums], float | None]] = {
    # stock, per paying customer
    "mrr": lambda s: s["mrr"],
    "arr": lambda s: s["mrr"] * 12,
    "active_customers": lambda s: s["customers"],
    "active_subscriptions": lambda s: s["subscriptions"],
    "arpa": lambda s: _ratio(s["mrr"], s["customers"]),
    # movement, per customer
    "new_mrr": lambda s: s["new"],
    "expansion_mrr": lambda s: s["expansion"],
    "contraction_mrr": lambda s: s["contraction"],
    "churned_mrr": lambda s: s["churned"],
    "reactivation_mrr": lambda s: s["reactivation"],
    "net_new_mrr": lambda s: (
        s["new"] + s["expansion"] + s["reactivation"] - s["contraction"] - s["churned"]
    ),
    "customer_churn_rate": lambda s: _ratio(s["churners"], s["paying"]),
    "gross_mrr_retention": lambda s: _ratio(
        s["start_mrr"] - s["churned"] - s["contraction"], s["start_mrr"]
    ),
    "net_mrr_retention": lambda s: _ratio(
        s["start_mrr"] - s["churned"] - s["contraction"] + s["expansion"] + s["reactivation"],
        s["start_mrr"],
    ),
    "ltv": _ltv,
    # flow, per event
    "gross_volume": lambda s: s["amount"],
    "refunds": lambda s: s["amount"],
    "net_revenue": lambda s: s["amount"],
    "failed_charges": lambda s: s["events"],
    "failed_payment_rate": lambda s: _ratio(s["failed"], s["events"]),
    "disputes": lambda s: s["events"],
    "dispute_rate": lambda s: _ratio(s["disputes"], s["succeeded"]),
    "trial_conversion_rate": lambda s: _ratio(s["converted"], s["events"]),
}
"""Each metric's value from its group's sums (cents for currency metrics)."""


def _events(account: Account, metric: str) -> pd.DataFrame:
    """The events a flow metric adds up, one row each (``events`` = 1), by ``ts``."""
    charges, refunds = account.charges, account.refunds
    succeeded = charges[charges.status == "succeeded"]
    refunded = refunds[refunds.status == "succeeded"]
    frames = {
        "gross_volume": [succeeded],
        "refunds": [refunded],
        "net_revenue": [succeeded, refunded.assign(amount=-refunded.amount)],
        "failed_charges": [charges[charges.status == "failed"]],
        "failed_payment_rate": [charges.assign(failed=(charges.status == "failed").astype(int))],
        "disputes": [account.disputes],
        "dispute_rate": [account.disputes.assign(disputes=1), succeeded.assign(succeeded=1)],
        "trial_conversion_rate": [account.trials],
    }[metric]
    return pd.concat(frames, ignore_index=True).fillna({"disputes": 0, "succeeded": 0})


def _movement(account: Account, period: Period, first_paid: pd.Series) -> pd.DataFrame:
    """Each customer's move from the period's start to its end, with their attributes."""
    start_ts, end_ts = timestamp(period.start), timestamp(period.end)
    before, after = account.paying_at(start_ts - 1), account.paying_at(end_ts - 1)
    customers = before.index.union(after.index)
    prev = before.mrr.reindex(customers, fill_value=0.0)
    cur = after.mrr.reindex(customers, fill_value=0.0)
    paid_at_start = prev > 0
    attributes = before.reindex(customers)[list(DIMENSIONS)].where(
        paid_at_start, after.reindex(customers)[list(DIMENSIONS)], axis=0
    )
    had_paid = first_paid.reindex(customers) < start_ts
    comes = (prev == 0) & (cur > 0)
    kept = paid_at_start & (cur > 0)
    gone = paid_at_start & (cur == 0)
    return attributes.assign(
        new=cur.where(comes & ~had_paid, 0.0),
        reactivation=cur.where(comes & had_paid, 0.0),
        expansion=(cur - prev).where(kept & (cur > prev), 0.0),
        contraction=(prev - cur).where(kept & (cur < prev), 0.0),
        churned=prev.where(gone, 0.0),
        churners=gone.astype(int),
        paying=paid_at_start.astype(int),
        start_mrr=prev,
        moving=(prev != cur).astype(int),
    )


def _rows_by_period(
    account: Account, metric: Metric, query: MetricQuery, today: date
) -> tuple[list[Period], pd.DataFrame, str]:
    """The periods, the rows (entities) each holds, and the column that says a row counts."""
    if metric.kind == "flow":
        events = _events(account, metric.name).assign(events=1)
        events = _filtered(events, query.filters)
        if query.time_range is not None:
            bounds = query.time_range.start, query.time_range.end
        elif query.grain is not None:
            bounds = default_range(metric.kind, query.grain, today)
        else:
            bounds = None
        if bounds is None:
            everything = [] if query.grain else [Period(None, None, None)]
            return everything, events.assign(period=None), "events"
        start, end = (timestamp(day) for day in bounds)
        events = events[(start <= events.ts) & (events.ts < end)]
        labels = [truncate(day_of(ts), query.grain) if query.grain else None for ts in events.ts]
        return periods(*bounds, query.grain), events.assign(period=labels), "events"
    bounds = (
        (query.time_range.start, query.time_range.end)
        if query.time_range
        else default_range(metric.kind, query.grain, today)
    )
    spans = periods(*bounds, query.grain)
    if metric.kind == "stock":
        frames = [
            account.paying_at(timestamp(p.end) - 1).assign(customers=1, period=p.label)
            for p in spans
        ]
        presence = "customers"
    else:
        first_paid = account.first_paid_start()
        frames = [_movement(account, p, first_paid).assign(period=p.label) for p in spans]
        presence = "moving" if metric.unit == "currency" and metric.name != "ltv" else "paying"
    return spans, _filtered(pd.concat(frames), query.filters), presence


def _filtered(rows: pd.DataFrame, filters: Iterable[tuple[str, str]]) -> pd.DataFrame:
    for dimension, value in filters:
        rows = rows[rows[dimension] == value]
    return rows


def _key_value(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _aggregate(rows: pd.DataFrame, keys: list[str], presence: str) -> dict[tuple, Sums]:
    """Per (period, dimension values) group that has a row counting: its columns' sums."""
    numbers = [c for c in rows.columns if c not in keys and pd.api.types.is_numeric_dtype(rows[c])]
    groups: dict[tuple, Sums] = defaultdict(lambda: defaultdict(float))
    present = set()
    for record in rows[keys + numbers].to_dict("records"):
        key = tuple(_key_value(record[k]) for k in keys)
        sums = groups[key]
        for column in numbers:
            sums[column] += 0.0 if pd.isna(record[column]) else record[column]
        if record[presence]:
            present.add(key)
    return {key: sums for key, sums in groups.items() if key in present}


def _finish(unit: str, value: float | None) -> float | int | None:
    if value is None:
        return None
    if unit == "currency":
        return round(value / 100, 2)
    if unit == "ratio":
        return round(value, 4)
    return round(value)


def _sort_key(values: Iterable[Any]) -> tuple:
    """Ascending, None last."""
    return tuple((v is None, "" if v is None else v) for v in values)


def _ordered(rows: list[tuple], order: str | None) -> list[tuple]:
    if order is None:
        return sorted(rows, key=lambda row: _sort_key(row[:-1]))
    sign = -1 if order == "desc" else 1

    def by_value(row: tuple) -> tuple:
        value = row[-1]
        return (value is None, 0 if value is None else sign * value), _sort_key(row[:-1])

    return sorted(rows, key=by_value)


def reference(
    objects: dict[str, list[dict[str, Any]]], query: MetricQuery, catalog: Catalog, today: date
) -> pd.DataFrame:
    """What ``query`` answers on the account holding ``objects``, as of ``today``.

    Columns ``period`` (with a grain), the query's dimensions, then the metric's name.
    """
    metric = catalog.metrics[query.metric]
    unsupported = set(query.dimensions) | {d for d, _ in query.filters}
    unsupported -= set(metric.dimensions)
    if unsupported:
        raise ValueError(f"{metric.name} does not split by {sorted(unsupported)}")
    account = Account(objects)
    spans, rows, presence = _rows_by_period(account, metric, query, today)
    keys = ["period", *query.dimensions]
    groups = _aggregate(rows, keys, presence)
    if query.grain is not None and not query.dimensions:
        groups = {(p.label,): groups.get((p.label,), defaultdict(float)) for p in spans} | groups
    elif query.grain is None and not query.dimensions and not groups:
        groups = {(None,): defaultdict(float)}
    finished = [
        (*key, _finish(metric.unit, VALUES[metric.name](sums))) for key, sums in groups.items()
    ]
    if query.dimensions:  # a group is a row when its value is defined (a ratio) or not zero
        defined = metric.denominator is not None
        finished = [row for row in finished if (row[-1] is not None if defined else row[-1])]
    ordered = _ordered(finished, query.order)[: query.limit]
    columns = [*keys, metric.name]
    if query.grain is None:
        ordered = [row[1:] for row in ordered]
        columns = columns[1:]
    return pd.DataFrame(ordered, columns=columns, dtype=object)

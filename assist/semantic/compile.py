"""Compile a ``MetricQuery`` into one SQL query over a tenant's tables.

The SQL is written in DuckDB's dialect and is an ordinary query: the caller runs it through the
governance compiler for the asking user like any other read, so row-level security applies to
every table it names. The query is assembled from the catalog's models (common table
expressions), the periods asked for (a VALUES list), and one skeleton per kind of metric:

- flow: the metric's events, counted in each period;
- stock: each customer's state (MRR, subscriptions, plan) at the last second of each period;
- movement: each customer's MRR at the last second before each period and at its last second.
"""

import re
from collections.abc import Mapping
from datetime import date

from sqlglot import exp

from assist.semantic.catalog import Catalog, Metric
from assist.semantic.periods import Period, effective_range, periods
from assist.semantic.query import MetricQuery
from governance.errors import AtsparkError

_TABLE_REFERENCE = re.compile(r"\{([a-z_]+)\.([a-z_]+)\}")

# Each customer's state at each moment: MRR, subscriptions, and the plan and currency of their
# largest line (a subscription's newest covering line counts; ended subscriptions count nothing).
_STATES = """
covering AS (
  SELECT m.t, l.customer AS customer_id, l.subscription, l.mrr_cents, l.currency, {plan},
         ROW_NUMBER() OVER (
           PARTITION BY m.t, l.subscription ORDER BY l.start_ts DESC, l.mrr_cents DESC
         ) AS newest
  FROM moments AS m
  JOIN recurring_lines AS l ON l.start_ts <= m.t AND m.t < l.end_ts
  LEFT JOIN subscription_ends AS s ON s.subscription = l.subscription
  {plan_join}
  WHERE s.ended_at IS NULL OR m.t < s.ended_at
),
largest AS (
  SELECT t, customer_id, plan, currency,
         ROW_NUMBER() OVER (PARTITION BY t, customer_id ORDER BY mrr_cents DESC, plan) AS rank
  FROM covering WHERE newest = 1
),
states AS (
  SELECT c.t, c.customer_id, c.mrr_cents, c.subscriptions, g.plan, g.currency, {attributes}
  FROM (
    SELECT t, customer_id, SUM(mrr_cents) AS mrr_cents, COUNT(*) AS subscriptions
    FROM covering WHERE newest = 1 GROUP BY t, customer_id
  ) AS c
  JOIN largest AS g ON g.t = c.t AND g.customer_id = c.customer_id AND g.rank = 1
  {attributes_join}
)"""

_STOCK = (
    """
moments AS (SELECT end_ts - 1 AS t FROM periods),"""
    + _STATES
    + """,
metric_rows AS (
  SELECT p.period, s.* FROM periods AS p JOIN states AS s ON s.t = p.end_ts - 1
)"""
)

# A customer's attributes in a movement: from the period's start if they paid then, else its end.
_MOVEMENT = (
    """
moments AS (SELECT end_ts - 1 AS t FROM periods UNION SELECT start_ts - 1 FROM periods),"""
    + (_STATES)
    + """,
period_customers AS (
  SELECT p.period, p.start_ts, p.end_ts, s.customer_id
  FROM periods AS p JOIN states AS s ON s.t = p.start_ts - 1
  UNION
  SELECT p.period, p.start_ts, p.end_ts, s.customer_id
  FROM periods AS p JOIN states AS s ON s.t = p.end_ts - 1
),
metric_rows AS (
  SELECT pc.period, pc.customer_id,
         COALESCE(a.mrr_cents, 0) AS prev, COALESCE(b.mrr_cents, 0) AS cur,
         COALESCE(f.first_paid_ts < pc.start_ts, FALSE) AS before,
         CASE WHEN a.customer_id IS NULL THEN b.plan ELSE a.plan END AS plan,
         CASE WHEN a.customer_id IS NULL THEN b.currency ELSE a.currency END AS currency,
         COALESCE(a.customer, b.customer) AS customer,
         COALESCE(a.country, b.country) AS country
  FROM period_customers AS pc
  LEFT JOIN states AS a ON a.t = pc.start_ts - 1 AND a.customer_id = pc.customer_id
  LEFT JOIN states AS b ON b.t = pc.end_ts - 1 AND b.customer_id = pc.customer_id
  LEFT JOIN first_paid AS f ON f.customer_id = pc.customer_id
)"""
)

# The customer's name and country, read only when asked for (a reader may not see customers).
_ATTRIBUTES = "a.customer, a.country"
_ATTRIBUTES_JOIN = "LEFT JOIN customer_attributes AS a ON a.customer_id = {rows}.customer_id"
_NO_ATTRIBUTES = "NULL AS customer, NULL AS country"
_PLANS = {"plan": "p.plan", "plan_join": "LEFT JOIN plans AS p ON p.product = l.product"}
_NO_PLANS = {"plan": "NULL AS plan", "plan_join": ""}

_FLOW = """
metric_events AS ({events}),
metric_rows AS (
  SELECT p.period, e.*, {attributes}
  FROM periods AS p
  JOIN metric_events AS e ON e.ts >= p.start_ts AND e.ts < p.end_ts
  {attributes_join}
)"""

_FLOW_ALL_TIME = """
metric_events AS ({events}),
metric_rows AS (
  SELECT e.*, {attributes}
  FROM metric_events AS e
  {attributes_join}
)"""


class MetricQueryError(AtsparkError):
    """The query asks what the catalog cannot answer (unknown metric, dimension or source)."""


def compile_metric(
    query: MetricQuery, catalog: Catalog, tables: Mapping[str, str], today: date
) -> str:
    """The SQL answering ``query``; ``tables`` maps ``connector.stream`` to the tenant's table."""
    metric = _checked(query, catalog)
    time_range = effective_range(query, metric.kind, today)
    skeleton = {"stock": _STOCK, "movement": _MOVEMENT}.get(metric.kind)
    if skeleton is None:
        skeleton = _FLOW if time_range is not None else _FLOW_ALL_TIME
    skeleton = skeleton.format(events=metric.events, **_attributes(query, metric))
    ctes = []
    if time_range is not None:
        ctes.append(_periods_cte(periods(time_range, query.grain)))
    ctes.append(skeleton.strip())
    models = _models_used(catalog, "\n".join(ctes))
    sql = "WITH " + ",\n".join(models + ctes) + "\n" + _final_select(query, metric)
    return _bind_tables(sql, tables)


def _attributes(query: MetricQuery, metric: Metric) -> dict[str, str]:
    """What the skeleton reads of customers and plans: only what the query names."""
    named = {*query.dimensions, *(dimension for dimension, _ in query.filters)}
    parts = {"attributes": _NO_ATTRIBUTES, "attributes_join": "", **_NO_PLANS}
    if named & {"customer", "country"}:
        rows = "e" if metric.kind == "flow" else "c"
        parts.update(attributes=_ATTRIBUTES, attributes_join=_ATTRIBUTES_JOIN.format(rows=rows))
    if "plan" in named:
        parts.update(_PLANS)
    return parts


def _checked(query: MetricQuery, catalog: Catalog) -> Metric:
    metric = catalog.metrics.get(query.metric)
    if metric is None:
        raise MetricQueryError(f"unknown metric {query.metric!r}")
    for name in (*query.dimensions, *(dimension for dimension, _ in query.filters)):
        if name not in metric.dimensions:
            supported = ", ".join(metric.dimensions) or "none"
            raise MetricQueryError(
                f"{metric.title} cannot be split or filtered by {name} (it can by: {supported})"
            )
    return metric


def _periods_cte(found: list[Period]) -> str:
    rows = ",\n  ".join(f"(DATE '{day.isoformat()}', {start}, {end})" for day, start, end in found)
    return f"periods(period, start_ts, end_ts) AS (VALUES\n  {rows}\n)"


def _models_used(catalog: Catalog, sql: str) -> list[str]:
    """The catalog's models ``sql`` needs, with the models they need, in dependency order."""
    needed: set[str] = set()
    pending = [sql]
    while pending:
        text = pending.pop()
        for name, body in catalog.models.items():
            if name not in needed and re.search(rf"\b{name}\b", text):
                needed.add(name)
                pending.append(body)
    return [
        f"{name} AS (\n{body.strip()}\n)" for name, body in catalog.models.items() if name in needed
    ]


def _final_select(query: MetricQuery, metric: Metric) -> str:
    """Group the metric's rows by period and dimensions, filter, order and limit them."""
    keys = (["period"] if query.grain is not None else []) + list(query.dimensions)
    filters = [f"r.{name} = {exp.Literal.string(value).sql()}" for name, value in query.filters]
    if query.grain is not None and not query.dimensions:
        # every period appears, even one with nothing in it
        columns = ["p.period"]
        source = "FROM periods AS p LEFT JOIN metric_rows AS r ON " + " AND ".join(
            ["r.period = p.period", *filters]
        )
    else:
        columns = [f"r.{key}" for key in keys]
        source = "FROM metric_rows AS r" + (f" WHERE {' AND '.join(filters)}" if filters else "")
    selected = [f"{column} AS {key}" for column, key in zip(columns, keys, strict=True)]
    sql = f"SELECT {', '.join([*selected, f'{_value(metric)} AS {metric.name}'])}\n{source}"
    if keys:
        sql += "\nGROUP BY " + ", ".join(columns)
    if query.dimensions:  # a group with nothing in it is no row
        kept = (
            f"SUM({metric.denominator}) > 0" if metric.denominator else f"SUM({metric.value}) <> 0"
        )
        sql += f"\nHAVING {kept}"
    order = [f"{metric.name} {query.order.upper()} NULLS LAST"] if query.order else []
    order += [str(position) for position in range(1, len(keys) + 1)]
    if order:
        sql += "\nORDER BY " + ", ".join(order)
    if query.limit is not None:
        sql += f"\nLIMIT {int(query.limit)}"
    return sql


def _value(metric: Metric) -> str:
    """The metric's value over a group of rows, in its unit (currency in major units)."""
    total = f"SUM({metric.value})"
    if metric.denominator is not None:
        raw = f"{total} / NULLIF(SUM({metric.denominator}), 0)"
    else:
        raw = f"COALESCE({total}, 0)"
    if metric.unit == "currency":
        return f"ROUND({raw} / 100.0, 2)"
    if metric.unit == "ratio":
        return f"ROUND({raw}, 4)"
    return f"CAST({raw} AS BIGINT)"


def _bind_tables(sql: str, tables: Mapping[str, str]) -> str:
    def table(match: re.Match[str]) -> str:
        key = f"{match.group(1)}.{match.group(2)}"
        if key not in tables:
            raise MetricQueryError(
                f"this metric is computed from a {match.group(1)} connection's "
                f"{match.group(2)}, and there is none you may read"
            )
        return exp.to_identifier(tables[key]).sql(dialect="duckdb")

    return _TABLE_REFERENCE.sub(table, sql)

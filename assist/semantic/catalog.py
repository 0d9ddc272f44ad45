"""The metric catalog, loaded from ``catalog.yaml``: metrics and the dimensions they split by."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
KINDS = ("flow", "stock", "movement")
UNITS = ("currency", "count", "ratio")


@dataclass(frozen=True)
class Dimension:
    name: str
    title: str
    description: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Metric:
    """One metric: ``kind`` says how a range reads it (flow: events in it; stock: at its end;
    movement: each customer's MRR at its start against its end)."""

    name: str
    title: str
    description: str
    synonyms: tuple[str, ...]
    kind: str
    unit: str
    dimensions: tuple[str, ...]
    value: str
    """SQL summed over the metric's rows: its events (flow) or customer states (stock, movement)."""
    denominator: str | None = None
    """SQL summed likewise; the metric is then value / denominator."""
    events: str | None = None
    """A flow metric's events: SQL over the catalog's models, with a ``value`` column."""


@dataclass(frozen=True)
class Catalog:
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    models: dict[str, str]
    """Named SQL (common table expressions) the metrics build on, in dependency order."""


def _dimension(name: str, spec: dict[str, Any]) -> Dimension:
    return Dimension(name, spec["title"], spec["description"], tuple(spec.get("synonyms", ())))


def _metric(name: str, spec: dict[str, Any], dimensions: dict[str, Dimension]) -> Metric:
    metric = Metric(
        name,
        spec["title"],
        spec["description"],
        tuple(spec.get("synonyms", ())),
        spec["kind"],
        spec["unit"],
        tuple(spec.get("dimensions", ())),
        spec.get("value", "value"),
        spec.get("denominator"),
        spec.get("events"),
    )
    if (metric.kind == "flow") != (metric.events is not None):
        raise ValueError(f"metric {name}: flow metrics, and only they, list their events")
    if metric.kind not in KINDS or metric.unit not in UNITS:
        raise ValueError(f"metric {name}: kind {metric.kind!r} or unit {metric.unit!r} unknown")
    unknown = set(metric.dimensions) - set(dimensions)
    if unknown:
        raise ValueError(f"metric {name}: unknown dimensions {sorted(unknown)}")
    return metric


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The catalog in ``path`` (the built-in one by default), checked."""
    spec = yaml.safe_load(path.read_text())
    dimensions = {name: _dimension(name, d) for name, d in spec["dimensions"].items()}
    metrics = {name: _metric(name, m, dimensions) for name, m in spec["metrics"].items()}
    models = {**spec["models"], **spec["events"]}
    return Catalog(metrics, dimensions, models)

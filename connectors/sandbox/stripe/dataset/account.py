"""The generated account: :func:`generate` and the :class:`StripeDataset` it returns."""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.stripe.dataset.constants import (
    DEFAULT_CUSTOMERS,
    HISTORY_YEARS,
    REFERENCE_NOW,
)
from connectors.sandbox.stripe.dataset.encoding import no_gc
from connectors.sandbox.stripe.dataset.simulation import Simulation
from connectors.sandbox.stripe.dataset.tables import Table


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
    with no_gc():
        simulation = Simulation(seed, now, years)
        tables = simulation.run(customers)
    dataset = StripeDataset(
        seed=seed,
        customers=customers,
        now=now,
        start=simulation.start,
        tables=tables,
    )
    if render:
        dataset.render()
    dataset.generation_seconds = time.perf_counter() - started
    return dataset

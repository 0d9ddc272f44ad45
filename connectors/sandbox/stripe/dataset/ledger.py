"""The state every part of the simulation shares."""

from connectors.sandbox.stripe.dataset.constants import RESOURCES
from connectors.sandbox.stripe.dataset.ids import Ids
from connectors.sandbox.stripe.dataset.records import Context
from connectors.sandbox.stripe.dataset.rng import Random
from connectors.sandbox.stripe.dataset.tables import Table, TableBuilder


class Ledger:
    """The clock and random streams, and the records, customers and prices made so far."""

    def __init__(self, seed: int, now: int) -> None:
        self.now = now
        self.rng = Random(seed)
        self.ids = Ids(seed)
        self.tables = {name: TableBuilder(name) for name in RESOURCES}
        self.context = Context(customers=[], prices=[])
        self.balance: list[tuple[int, int, int]] = []
        """(available_on, net, record) of each balance transaction but payouts'."""

    def served(self) -> dict[str, Table]:
        """The finished tables."""
        return {name: Table(builder, self.context) for name, builder in self.tables.items()}

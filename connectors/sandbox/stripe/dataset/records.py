"""What records refer to by number: customers and prices, resolved through a :class:`Context`.

A record is a render function and a tuple of atoms (ids, numbers, nested tuples of atoms) that
it turns into a Stripe object; such tuples are cheap to keep and the cyclic GC skips them.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class Price:
    index: int  # in Context.prices
    id: str
    name: str  # the product's
    tier: int  # -1 for one-time prices
    interval: str | None
    unit_amount: int
    obj: Any  # the price object (encoded once)
    plan: Any  # the legacy plan view of a recurring price (encoded once), or None
    line_description: str


@dataclass(eq=False)
class Customer:
    index: int  # in Context.customers
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
class Context:
    """The customers and prices that records refer to by index."""

    customers: list[Customer]
    prices: list[Price]


Render = Callable[..., dict[str, Any]]
"""``render(context, *args)``: a record's Stripe object."""


def field_reader(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """Reads the fields of a ``slots=True`` dataclass ``cls``, in order, into a record."""
    return operator.attrgetter(*cls.__slots__)

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

Modules: :mod:`.account` (``generate``), :mod:`.simulation` (signups and lifecycles),
:mod:`.subscriptions`, :mod:`.billing` and :mod:`.collection` (invoices and their payment),
:mod:`.payments` and :mod:`.payouts` (money movements), :mod:`.catalog`, :mod:`.customers`,
:mod:`.render` (records -> Stripe objects) and :mod:`.tables` (what the app serves).
"""

from connectors.sandbox.stripe.dataset.account import StripeDataset, generate
from connectors.sandbox.stripe.dataset.constants import (
    API_VERSION,
    DEFAULT_CUSTOMERS,
    HISTORY_YEARS,
    INVOICE_STATUSES,
    REFERENCE_NOW,
    RESOURCES,
    SUBSCRIPTION_STATUSES,
)
from connectors.sandbox.stripe.dataset.tables import Table

__all__ = [
    "API_VERSION",
    "DEFAULT_CUSTOMERS",
    "HISTORY_YEARS",
    "INVOICE_STATUSES",
    "REFERENCE_NOW",
    "RESOURCES",
    "SUBSCRIPTION_STATUSES",
    "StripeDataset",
    "Table",
    "generate",
]

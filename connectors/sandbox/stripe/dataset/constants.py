"""The simulated account's fixed facts: its "now", size, API version, resources and statuses."""

from datetime import UTC, datetime

REFERENCE_NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
"""The simulated "now" (2026-11-01T00:00:00Z); nothing is created after it."""
DEFAULT_CUSTOMERS = 300
HISTORY_YEARS = 2
API_VERSION = "2023-08-16"

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

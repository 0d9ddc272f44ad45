"""Customers."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.records import Context


def render_customer(context: Context, customer: int) -> dict[str, Any]:
    c = context.customers[customer]
    return {
        "id": c.id,
        "object": "customer",
        "address": c.address,
        "balance": 0,
        "created": c.created,
        "currency": CURRENCY if c.invoice_count else None,
        "default_source": None,
        "delinquent": c.delinquent,
        "description": None,
        "discount": None,
        "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": c.payment_method,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": c.name,
        "next_invoice_sequence": c.invoice_count + 1,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }

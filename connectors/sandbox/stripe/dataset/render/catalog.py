"""Prices (with their legacy plan view) and products, built once when the catalog is."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.dates import DAY


def price_and_plan(
    price_id: str,
    product: str,
    created: int,
    cents: int,
    interval: str | None,
    *,
    active: bool,
    lookup_key: str,
    nickname: str,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A price object and, for a recurring price, its legacy plan view."""
    price = {
        "id": price_id,
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": CURRENCY,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": {},
        "nickname": nickname,
        "product": product,
        "recurring": (
            {
                "aggregate_usage": None,
                "interval": interval,
                "interval_count": 1,
                "usage_type": "licensed",
            }
            if interval
            else None
        ),
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if interval else "one_time",
        "unit_amount": cents,
        "unit_amount_decimal": str(cents),
    }
    if not interval:
        return price, None
    plan = {
        "id": price_id,
        "object": "plan",
        "active": active,
        "aggregate_usage": None,
        "amount": cents,
        "amount_decimal": str(cents),
        "billing_scheme": "per_unit",
        "created": created,
        "currency": CURRENCY,
        "interval": interval,
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "nickname": nickname,
        "product": product,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    return price, plan


def product_object(
    product_id: str,
    name: str,
    description: str,
    features: tuple[str, ...],
    created: int,
    default_price: str,
    *,
    unit_label: str | None = None,
) -> dict[str, Any]:
    updated = created + 3 * DAY  # edited once, soon after launch
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": created,
        "default_price": default_price,
        "description": description,
        "features": [{"name": feature} for feature in features],
        "images": [],
        "livemode": False,
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": unit_label,
        "updated": updated,
        "url": None,
    }

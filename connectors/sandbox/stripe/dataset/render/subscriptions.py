"""Subscriptions (one item each)."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.records import Context
from connectors.sandbox.stripe.dataset.render.lists import embedded_list


def render_subscription(
    context: Context,
    sub_id: str,
    item_id: str,
    customer: int,
    created: int,
    price_index: int,
    period_start: int,
    period_end: int,
    anchor: int,
    state: tuple[Any, ...],
) -> dict[str, Any]:
    c = context.customers[customer]
    price = context.prices[price_index]
    (
        status,
        cancel_at,
        cancel_at_period_end,
        canceled_at,
        ended_at,
        feedback,
        cancellation_reason,
        trial_start,
        trial_end,
        end_behavior,
        latest_invoice,
    ) = state
    item = {
        "id": item_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "metadata": {},
        "plan": price.plan,
        "price": price.obj,
        "quantity": 1,
        "subscription": sub_id,
        "tax_rates": [],
    }
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False},
        "billing_cycle_anchor": anchor,
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": feedback,
            "reason": cancellation_reason,
        },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": CURRENCY,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "customer": c.id,
        "days_until_due": None,
        "default_payment_method": c.payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "ended_at": ended_at,
        "items": embedded_list([item], f"/v1/subscription_items?subscription={sub_id}"),
        "latest_invoice": latest_invoice,
        "livemode": False,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": end_behavior}},
        "trial_start": trial_start,
    }

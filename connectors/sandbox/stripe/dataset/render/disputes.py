"""Disputes, with the balance transactions that withdrew (and reinstated) the funds."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.dates import midnight_after
from connectors.sandbox.stripe.dataset.records import Context
from connectors.sandbox.stripe.dataset.render.balance import render_balance_transaction

_EMPTY_EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)  # fmt: skip


def render_dispute(
    context: Context,
    dispute_id: str,
    customer: int,
    created: int,
    amount: int,
    charge_id: str,
    payment_intent: str,
    reason: str,
    network_code: str,
    status: str,
    transactions: tuple[tuple[Any, ...], ...],
) -> dict[str, Any]:
    c = context.customers[customer]
    responded = status != "needs_response"
    evidence: dict[str, Any] = dict.fromkeys(_EMPTY_EVIDENCE_KEYS)
    if responded:
        evidence["customer_email_address"] = c.email
        evidence["customer_name"] = c.name
        evidence["product_description"] = "Subscription to the Atspark data platform."
        evidence["uncategorized_text"] = "The customer used the service during the period."
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [render_balance_transaction(context, *txn) for txn in transactions],
        "charge": charge_id,
        "created": created,
        "currency": CURRENCY,
        "evidence": evidence,
        "evidence_details": {
            "due_by": midnight_after(created, 20) - 1,
            "has_evidence": responded,
            "past_due": False,
            "submission_count": 1 if responded else 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "payment_method_details": {
            "card": {"brand": c.brand, "network_reason_code": network_code},
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }

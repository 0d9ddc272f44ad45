"""Charges and their refunds."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.records import Context
from connectors.sandbox.stripe.dataset.render.lists import embedded_list


def render_refund(
    _context: Context,
    refund_id: str,
    created: int,
    amount: int,
    charge_id: str,
    payment_intent: str,
    reason: str | None,
    txn_id: str,
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn_id,
        "charge": charge_id,
        "created": created,
        "currency": CURRENCY,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def render_charge(
    context: Context,
    charge_id: str,
    customer: int,
    created: int,
    amount: int,
    decline: tuple[str, str, str, int] | None,
    risk_score: int,
    invoice: str | None,
    payment_intent: str,
    description: str | None,
    refunds: tuple[tuple[Any, ...], ...],
    amount_refunded: int,
    disputed: bool,
    txn_id: str | None,
) -> dict[str, Any]:
    c = context.customers[customer]
    succeeded = decline is None
    if decline is None:
        network, code, message, kind = (
            "approved_by_network",
            None,
            "Payment complete.",
            "authorized",
        )
        failure_code = failure_message = None
    else:
        code, failure_code, failure_message, _ = decline
        network, kind = "declined_by_network", "issuer_declined"
        message = f"The bank returned the decline code `{code}`."
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn_id,
        "billing_details": c.billing_details,
        "calculated_statement_descriptor": "ATSPARK",
        "captured": succeeded,
        "created": created,
        "currency": CURRENCY,
        "customer": c.id,
        "description": description,
        "disputed": disputed,
        "failure_balance_transaction": None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "invoice": invoice,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "network_status": network,
            "reason": code,
            "risk_level": "normal",
            "risk_score": risk_score,
            "seller_message": message,
            "type": kind,
        },
        "paid": succeeded,
        "payment_intent": payment_intent,
        "payment_method": c.payment_method,
        "payment_method_details": c.payment_method_details,
        "radar_options": {},
        "receipt_email": c.email if succeeded else None,
        "receipt_number": None,
        "receipt_url": (
            f"https://pay.stripe.com/receipts/payment/{charge_id[3:]}" if succeeded else None
        ),
        "refunded": amount_refunded == amount,
        "refunds": embedded_list(
            [render_refund(context, *refund) for refund in refunds],
            f"/v1/charges/{charge_id}/refunds",
        ),
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }

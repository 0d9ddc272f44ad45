"""Balance transactions and the payouts that sweep them."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import ACCOUNT_TAG, CURRENCY
from connectors.sandbox.stripe.dataset.records import Context

# reporting category -> balance transaction type
BALANCE_TYPES = {
    "charge": "charge",
    "refund": "refund",
    "dispute": "adjustment",
    "dispute_reversal": "adjustment",
    "payout": "payout",
}
# reporting category -> what its fee is (the categories that have fees)
_FEE_DESCRIPTIONS = {
    "charge": "Stripe processing fees",
    "dispute": "Dispute fee",
    "dispute_reversal": "Dispute fee refund",
}


def render_balance_transaction(
    _context: Context,
    txn_id: str,
    created: int,
    amount: int,
    fee: int,
    category: str,
    source: str,
    description: str | None,
    available_on: int,
    status: str,
) -> dict[str, Any]:
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": CURRENCY,
                "description": _FEE_DESCRIPTIONS[category],
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": CURRENCY,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": status,
        "type": BALANCE_TYPES[category],
    }


def render_payout(
    _context: Context,
    payout_id: str,
    created: int,
    amount: int,
    arrival: int,
    status: str,
    txn_id: str,
) -> dict[str, Any]:
    reconciliation = "completed" if status == "paid" else "in_progress"
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "arrival_date": arrival,
        "automatic": True,
        "balance_transaction": txn_id,
        "created": created,
        "currency": CURRENCY,
        "description": "STRIPE PAYOUT",
        "destination": f"ba_1{ACCOUNT_TAG}PayoutBank1",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": reconciliation,
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "type": "bank_account",
    }

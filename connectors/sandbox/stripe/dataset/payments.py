"""Money movements: charges, their refunds and disputes, and the balance transactions."""

import itertools
from typing import Any

from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, midnight_after
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.records import Customer
from connectors.sandbox.stripe.dataset.render.balance import (
    BALANCE_TYPES,
    render_balance_transaction,
)
from connectors.sandbox.stripe.dataset.render.charges import render_charge, render_refund
from connectors.sandbox.stripe.dataset.render.disputes import render_dispute

_DECLINES = (
    # decline code, charge failure_code, failure_message, weight
    ("insufficient_funds", "card_declined", "Your card has insufficient funds.", 45),
    ("generic_decline", "card_declined", "Your card was declined.", 30),
    ("do_not_honor", "card_declined", "Your card was declined.", 10),
    ("expired_card", "expired_card", "Your card has expired.", 10),
    ("lost_card", "card_declined", "Your card was declined.", 5),
)
_DISPUTE_REASONS = (
    ("fraudulent", "10.4", 40),
    ("subscription_canceled", "13.2", 25),
    ("product_not_received", "13.1", 10),
    ("duplicate", "12.6.1", 10),
    ("credit_not_processed", "13.6", 10),
    ("general", "10.5", 5),
)
_REFUND_REASONS = (("requested_by_customer", 70), ("duplicate", 15), ("fraudulent", 5), (None, 10))
# Cumulative weights, for Random.pick.
_DECLINE_WEIGHTS = list(itertools.accumulate(d[3] for d in _DECLINES))
_DISPUTE_WEIGHTS = list(itertools.accumulate(d[2] for d in _DISPUTE_REASONS))
_REFUND_WEIGHTS = list(itertools.accumulate(r[1] for r in _REFUND_REASONS))
_DISPUTE_FEE = 1500


def balance_transaction(
    ledger: Ledger,
    category: str,
    source: str,
    created: int,
    amount: int,
    fee: int,
    description: str | None,
) -> tuple[Any, ...]:
    """Record a balance transaction; return its record (its id first).

    A charge's funds become available at the second midnight after it, others' at the next.
    """
    txn_id = ledger.ids.long("txn_")
    available_on = midnight_after(created, 2 if category == "charge" else 0)
    status = "available" if available_on <= ledger.now else "pending"
    args = (txn_id, created, amount, fee, category, source, description, available_on, status)
    record = ledger.tables["balance_transactions"].add(
        created, txn_id, render_balance_transaction, args, (BALANCE_TYPES[category], source, None)
    )
    ledger.balance.append((available_on, amount - fee, record))
    return args


def charge(
    ledger: Ledger,
    c: Customer,
    created: int,
    amount: int,
    *,
    succeed: bool,
    invoice: str | None,
    payment_intent: str,
    description: str | None,
    forced: str | None = None,
) -> str:
    """Record a charge (and its balance transaction, refunds, dispute); return its id.

    ``forced`` scripts the aftermath: "dispute" (half refunded, then disputed) or "refund"
    (refunded in full)."""
    rng = ledger.rng
    charge_id = ledger.ids.long("ch_")
    now = ledger.now
    refunds: tuple[tuple[Any, ...], ...] = ()
    amount_refunded = 0
    disputed = False
    txn_id = None
    decline = None
    if succeed:
        fee = (amount * 29 + 500) // 1000 + 30  # 2.9% + 30c
        txn_id = balance_transaction(
            ledger, "charge", charge_id, created, amount, fee, description
        )[0]
        roll = rng.random()
        if forced or roll < 0.03:
            refunded_at = created + (2 * DAY if forced else rng.randrange(HOUR, 30 * DAY))
            if refunded_at <= now:
                partial = forced == "dispute" if forced else rng.random() < 0.3
                amount_refunded = amount // 2 if partial else amount
                refunds = (
                    _refund(ledger, charge_id, payment_intent, refunded_at, amount_refunded),
                )
        if (forced == "dispute" or roll > 0.994) and amount_refunded < amount:
            disputed_at = created + (5 * DAY if forced else rng.randrange(3 * DAY, 60 * DAY))
            if disputed_at <= now:
                disputed = True
                _dispute(
                    ledger, c, charge_id, payment_intent, disputed_at, amount - amount_refunded
                )
    else:
        decline = rng.pick(_DECLINES, _DECLINE_WEIGHTS)
    args = (
        charge_id,
        c.index,
        created,
        amount,
        decline,
        rng.randrange(5, 65),
        invoice,
        payment_intent,
        description,
        refunds,
        amount_refunded,
        disputed,
        txn_id,
    )
    ledger.tables["charges"].add(created, charge_id, render_charge, args, (c.id, payment_intent))
    return charge_id


def _refund(
    ledger: Ledger, charge_id: str, payment_intent: str, created: int, amount: int
) -> tuple[Any, ...]:
    refund_id = ledger.ids.long("re_")
    reason = ledger.rng.pick(_REFUND_REASONS, _REFUND_WEIGHTS)[0]
    txn_id = balance_transaction(
        ledger, "refund", refund_id, created, -amount, 0, "REFUND FOR CHARGE"
    )[0]
    args = (refund_id, created, amount, charge_id, payment_intent, reason, txn_id)
    ledger.tables["refunds"].add(
        created, refund_id, render_refund, args, (charge_id, payment_intent)
    )
    return args


def _dispute(
    ledger: Ledger, c: Customer, charge_id: str, payment_intent: str, created: int, amount: int
) -> None:
    rng = ledger.rng
    dispute_id = ledger.ids.long("dp_")
    reason, network_code, _ = rng.pick(_DISPUTE_REASONS, _DISPUTE_WEIGHTS)
    age = ledger.now - created
    if age < 7 * DAY:
        status = "needs_response"
    elif age < 30 * DAY:
        status = "under_review"
    else:
        status = "won" if rng.random() < 0.4 else "lost"
    transactions: tuple[tuple[Any, ...], ...] = (
        balance_transaction(
            ledger,
            "dispute",
            dispute_id,
            created,
            -amount,
            _DISPUTE_FEE,
            f"Chargeback withdrawal for {charge_id}",
        ),
    )
    if status == "won":
        won_at = created + rng.randrange(20 * DAY, 29 * DAY)
        transactions += (
            balance_transaction(
                ledger,
                "dispute_reversal",
                dispute_id,
                won_at,
                amount,
                -_DISPUTE_FEE,
                f"Chargeback reversal for {charge_id}",
            ),
        )
    args = (
        dispute_id,
        c.index,
        created,
        amount,
        charge_id,
        payment_intent,
        reason,
        network_code,
        status,
        transactions,
    )
    ledger.tables["disputes"].add(
        created, dispute_id, render_dispute, args, (charge_id, payment_intent)
    )

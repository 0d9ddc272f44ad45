"""Daily automatic payouts of the available balance."""

from connectors.sandbox.stripe.dataset.dates import DAY, HOUR
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.render.balance import (
    render_balance_transaction,
    render_payout,
)


def pay_out(ledger: Ledger) -> None:
    """Pay out, each day, everything that became available that day; mark what each paid."""
    now = ledger.now
    rows = sorted(ledger.balance, key=lambda item: item[0])
    balance = 0
    unpaid: list[int] = []
    transactions = ledger.tables["balance_transactions"]
    attrs = transactions.attrs
    i, n = 0, len(rows)
    while i < n:
        day = rows[i][0]
        while i < n and rows[i][0] == day:
            balance += rows[i][1]
            unpaid.append(rows[i][2])
            i += 1
        created = day + 2 * HOUR
        if balance <= 0 or created > now:
            continue
        payout_id = ledger.ids.long("po_")
        txn_id = ledger.ids.long("txn_")
        arrival = day + 2 * DAY
        status = "paid" if arrival <= now else "in_transit"
        txn = (  # as payments.balance_transaction records them
            txn_id,
            created,
            -balance,
            0,
            "payout",
            payout_id,
            "STRIPE PAYOUT",
            created,
            "available",
        )
        transactions.add(
            created, txn_id, render_balance_transaction, txn, ("payout", payout_id, payout_id)
        )
        for record in unpaid:
            kind, source, _ = attrs[record]
            attrs[record] = (kind, source, payout_id)
        ledger.tables["payouts"].add(
            created,
            payout_id,
            render_payout,
            (payout_id, created, balance, arrival, status, txn_id),
            (status,),
        )
        balance = 0
        unpaid = []

"""Invoices: what they bill (lines and invoice items), their finalization and collection."""

from typing import Any

from connectors.sandbox.stripe.dataset.collection import (
    Collection,
    collect,
    collection_record,
    paid,
)
from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, midnight_after
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.payments import charge
from connectors.sandbox.stripe.dataset.records import Customer, Price
from connectors.sandbox.stripe.dataset.render.invoices import (
    INVOICE_STATUS,
    render_invoice,
    render_invoice_item,
)

_CHARGE_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_update": "Subscription update",
    "subscription_cycle": "Subscription update",
    "manual": "Payment for Invoice",
}


def bill(
    price: Price,
    amount: int,
    period: tuple[int, int],
    subscription: str | None,
    description: str | None = None,
    quantity: int = 1,
    proration: bool = False,
) -> tuple[Any, ...]:
    """What a line (and its invoice item, if any) bills: the ``billed`` record."""
    description = description or price.line_description
    start, end = period
    return (amount, price.index, start, end, subscription, description, quantity, proration)


def line(
    ledger: Ledger,
    billed: tuple[Any, ...],
    subscription_item: str | None = None,
    invoice_item: str | None = None,
) -> tuple[Any, ...]:
    """An invoice line: a subscription's period, or else the given ``invoice_item``."""
    return (ledger.ids.long("il_"), invoice_item, subscription_item, billed)


def add_invoice_item(
    ledger: Ledger,
    c: Customer,
    created: int,
    billed: tuple[Any, ...],
    *,
    invoice: str | None,
    subscription_item: str | None = None,
) -> tuple[Any, ...]:
    """Record an invoice item; return the invoice line that bills it."""
    item_id = ledger.ids.long("ii_")
    item_line = line(ledger, billed, subscription_item, item_id)
    args = (c.id, created, invoice, item_line)
    attrs = (c.id, invoice, "false" if invoice else "true")
    ledger.tables["invoiceitems"].add(created, item_id, render_invoice_item, args, attrs)
    return item_line


def issue_invoice(
    ledger: Ledger,
    c: Customer,
    invoice_id: str,
    created: int,
    reason: str,
    lines: list[tuple[Any, ...]],
    *,
    subscription: str | None,
    period: tuple[int, int],
    first: bool = False,
    force_fail: bool = False,
    recover_first: bool | None = None,
    forced: str | None = None,
    send_invoice_days: int | None = None,
) -> Collection:
    """Finalize, collect and record an invoice; return how collection went."""
    total = 0
    for _, _, _, billed in lines:
        total += billed[0]  # the billed amount
    payment_intent = ledger.ids.long("pi_") if total > 0 else None
    # Creation and update invoices finalize at once; renewals about an hour later.
    finalized = created + HOUR if reason == "subscription_cycle" else created
    description = _CHARGE_DESCRIPTIONS[reason]

    def attempt(at: int, succeed: bool, forced: str | None = None) -> str:
        return charge(
            ledger,
            c,
            at,
            total,
            succeed=succeed,
            invoice=invoice_id,
            payment_intent=payment_intent or "",
            description=description,
            forced=forced,
        )

    due_date = None
    if send_invoice_days is not None:
        # Emailed invoice: the customer pays it by card some days after it is sent.
        due_date = midnight_after(finalized, send_invoice_days) - 1
        pay_at = finalized + ledger.rng.randrange(HOUR, send_invoice_days * DAY)
        if pay_at <= ledger.now:
            result = paid(attempt(pay_at, True), 1, pay_at)
        else:
            result = Collection("retrying" if finalized <= ledger.now else "draft")
    else:
        result = collect(
            ledger,
            attempt,
            c.reliability,
            total,
            finalized,
            first=first,
            force_fail=force_fail,
            recover_first=recover_first,
            forced=forced,
        )
    number = None
    if result.status != "draft":
        c.invoice_count += 1
        number = f"{c.invoice_prefix}-{c.invoice_count:04d}"
    args = (
        invoice_id,
        c.index,
        created,
        reason,
        tuple(lines),
        subscription,
        period[0],
        period[1],
        total,
        collection_record(result),
        number,
        finalized,
        payment_intent,
        due_date,
    )
    status = INVOICE_STATUS[result.status]
    ledger.tables["invoices"].add(
        created, invoice_id, render_invoice, args, (c.id, status, subscription)
    )
    return result

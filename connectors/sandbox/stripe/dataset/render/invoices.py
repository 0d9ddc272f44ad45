"""Invoices, their lines and invoice items.

A line's record is (line id, invoice item id, subscription item id, billed), where ``billed`` is
(amount, price index, period start, period end, subscription, description, quantity,
proration); an invoice item's record holds the record of the line that bills it.
"""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import ACCOUNT_NAME, ACCOUNT_TAG, CURRENCY
from connectors.sandbox.stripe.dataset.dates import HOUR
from connectors.sandbox.stripe.dataset.records import Context
from connectors.sandbox.stripe.dataset.render.lists import embedded_list

# how collection went -> the invoice's status
INVOICE_STATUS = {
    "paid": "paid",
    "draft": "draft",
    "retrying": "open",
    "incomplete": "open",
    "expired": "void",
    "exhausted": "uncollectible",
}


_LINE_ONLY = frozenset(
    {
        "id",
        "object",
        "amount_excluding_tax",
        "discount_amounts",
        "proration_details",
        "tax_amounts",
        "type",
        "unit_amount_excluding_tax",
        "invoice_item",
        "subscription_item",
    }
)
"""The fields of a line that the invoice item it bills does not show."""


def render_line(
    context: Context,
    line_id: str,
    invoice_item: str | None,
    subscription_item: str | None,
    billed: tuple[Any, ...],
) -> dict[str, Any]:
    amount, price_index, start, end, subscription, description, quantity, proration = billed
    price = context.prices[price_index]
    line = {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "amount_excluding_tax": amount,
        "currency": CURRENCY,
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "livemode": False,
        "metadata": {},
        "period": {"end": end, "start": start},
        "plan": price.plan,
        "price": price.obj,
        "proration": proration,
        "proration_details": {"credited_items": None},
        "quantity": quantity,
        "subscription": subscription,
        "tax_amounts": [],
        "tax_rates": [],
        "type": "invoiceitem" if invoice_item else "subscription",
        "unit_amount_excluding_tax": str(amount // quantity),
    }
    if invoice_item:
        line["invoice_item"] = invoice_item
    if subscription_item:
        line["subscription_item"] = subscription_item
    return line


def render_invoice_item(
    context: Context, customer: str, created: int, invoice: str | None, line: tuple[Any, ...]
) -> dict[str, Any]:
    """The invoice item that ``line`` (a :func:`render_line` record) bills: it shows the
    line's billing fields, and its own; fields in Stripe's order (by name)."""
    _, item_id, subscription_item, _ = line
    shown = render_line(context, *line)
    fields = {name: value for name, value in shown.items() if name not in _LINE_ONLY}
    unit_amount = fields["amount"] // fields["quantity"]
    fields.update(
        customer=customer,
        date=created,
        invoice=invoice,
        test_clock=None,
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    item = {"id": item_id, "object": "invoiceitem"}
    item.update(sorted(fields.items()))
    if subscription_item:
        item["subscription_item"] = subscription_item
    return item


def render_invoice(
    context: Context,
    invoice_id: str,
    customer: int,
    created: int,
    reason: str,
    lines: tuple[tuple[Any, ...], ...],
    subscription: str | None,
    period_start: int,
    period_end: int,
    total: int,
    collection: tuple[Any, ...],
    number: str | None,
    finalized: int,
    payment_intent: str | None,
    due_date: int | None,
) -> dict[str, Any]:
    c = context.customers[customer]
    outcome, charge, attempts, paid_at, next_attempt, last_attempt = collection
    status = INVOICE_STATUS[outcome]
    paid = status == "paid"
    final = status != "draft"
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": ACCOUNT_NAME,
        "account_tax_ids": None,
        "amount_due": total,
        "amount_paid": total if paid else 0,
        "amount_remaining": 0 if paid or status == "void" else total,
        "amount_shipping": 0,
        "application": None,
        "application_fee_amount": None,
        "attempt_count": attempts,
        "attempted": attempts > 0 or paid,
        "auto_advance": status in ("draft", "open"),
        "automatic_tax": {"enabled": False, "status": None},
        "billing_reason": reason,
        "charge": charge,
        "collection_method": "charge_automatically" if due_date is None else "send_invoice",
        "created": created,
        "currency": CURRENCY,
        "custom_fields": None,
        "customer": c.id,
        "customer_address": c.address,
        "customer_email": c.email,
        "customer_name": c.name,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "discounts": [],
        "due_date": due_date,
        "effective_at": finalized if final else None,
        "ending_balance": 0 if final else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": (
            f"https://invoice.stripe.com/i/acct_{ACCOUNT_TAG}/test_{invoice_id[3:]}"
            if final
            else None
        ),
        "invoice_pdf": (
            f"https://pay.stripe.com/invoice/acct_{ACCOUNT_TAG}/test_{invoice_id[3:]}/pdf"
            if final
            else None
        ),
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": embedded_list(
            [render_line(context, *line) for line in lines], f"/v1/invoices/{invoice_id}/lines"
        ),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": next_attempt,
        "number": number,
        "on_behalf_of": None,
        "paid": paid,
        "paid_out_of_band": False,
        "payment_intent": payment_intent if attempts else None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": None,
        "receipt_number": None,
        "rendering_options": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": finalized if final else None,
            "marked_uncollectible_at": last_attempt if status == "uncollectible" else None,
            "paid_at": paid_at if paid else None,
            "voided_at": last_attempt + 23 * HOUR if status == "void" and last_attempt else None,
        },
        "subscription": subscription,
        "subscription_details": {"metadata": {}} if subscription else None,
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "tax": None,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_tax_amounts": [],
        "transfer_data": None,
        "webhooks_delivered_at": created + 2 if final else None,
    }

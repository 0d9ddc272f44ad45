"""One subscription's life: trial, renewals, failed payments and dunning, upgrades with
prorations, downgrades at renewal, the legacy price's migration, cancellation."""

from dataclasses import dataclass
from typing import Any

from connectors.sandbox.stripe.dataset.billing import add_invoice_item, bill, issue_invoice, line
from connectors.sandbox.stripe.dataset.catalog import (
    ONBOARDING_CENTS,
    OVERAGE_UNIT_CENTS,
    PRO,
    Catalog,
)
from connectors.sandbox.stripe.dataset.collection import Collection
from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, Anchor, day_label
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.records import Customer, Price, field_reader
from connectors.sandbox.stripe.dataset.render.subscriptions import render_subscription
from connectors.sandbox.stripe.dataset.scripts import Script

_CANCEL_FEEDBACK = (
    "too_expensive", "unused", "missing_features", "switched_service", "low_quality",
    "too_complex", "customer_service", "other", None,
)  # fmt: skip
# interval -> chances, each period, of (cancellation, upgrade, downgrade)
_EVENT_ODDS = {"year": (0.2, 0.1, 0.05), "month": (0.016, 0.03, 0.015)}
_UNPAID = ("incomplete", "expired", "retrying", "exhausted")  # collection statuses


@dataclass(slots=True)
class _State:
    """What the subscription object shows; its fields, in order, are the record."""

    status: str = "active"
    cancel_at: int | None = None
    cancel_at_period_end: bool = False
    canceled_at: int | None = None
    ended_at: int | None = None
    feedback: str | None = None
    cancellation_reason: str | None = None
    trial_start: int | None = None
    trial_end: int | None = None
    end_behavior: str = "create_invoice"
    latest_invoice: str | None = None

    def unpaid(self, result: Collection, period_start: int, final: str) -> None:
        """A renewal went unpaid; ``final`` is how exhausted retries end (cancel | unpaid)."""
        if result.status == "incomplete":
            self.status = "incomplete"
        elif result.status == "expired":
            self.status = "incomplete_expired"
            self.ended_at = (result.last_attempt or period_start) + 23 * HOUR
        elif result.status == "retrying":
            self.status = "past_due"
        elif final == "unpaid":
            self.status = "unpaid"
        else:
            ended = result.last_attempt or period_start
            self.status, self.canceled_at, self.ended_at = "canceled", ended, ended
            self.cancellation_reason = "payment_failed"

    def cancel(self, at: int, feedback: str | None, period_end: int | None, now: int) -> None:
        """The customer cancels at ``at``: at once, or at ``period_end`` if given."""
        self.cancellation_reason = "cancellation_requested"
        self.feedback = feedback
        self.canceled_at = at
        if period_end is None:
            self.status, self.ended_at = "canceled", at
        else:
            self.cancel_at, self.cancel_at_period_end = period_end, True
            if period_end <= now:
                self.status, self.ended_at = "canceled", period_end


_state_record = field_reader(_State)


def subscription(
    ledger: Ledger,
    catalog: Catalog,
    c: Customer,
    t0: int,
    price: Price,
    *,
    trial: bool,
    script: Script | None,
) -> int | None:
    """Simulate one subscription from ``t0`` to now; return when it ended, if it did."""
    rng = ledger.rng
    ids = ledger.ids
    now = ledger.now
    sub_id = ids.long("sub_")
    item_id = ids.short("si_")
    interval = price.interval or "month"
    plans = catalog.plans(interval)
    s = _State()
    current = price

    def finish(period: tuple[int, int], anchor: int) -> int | None:
        args = (
            sub_id,
            item_id,
            c.index,
            t0,
            current.index,
            period[0],
            period[1],
            anchor,
            _state_record(s),
        )
        ledger.tables["subscriptions"].add(
            t0, sub_id, render_subscription, args, (c.id, s.status, current.id)
        )
        if s.status in ("past_due", "unpaid"):
            c.delinquent = True
        return s.ended_at if s.status == "canceled" else None

    anchor_ts = t0
    if trial:
        trial_end = t0 + 14 * DAY
        s.trial_start, s.trial_end = t0, trial_end
        invoice_id = ids.long("in_")
        trial_bill = bill(current, 0, (t0, trial_end), sub_id, f"Trial period for {current.name}")
        issue_invoice(
            ledger,
            c,
            invoice_id,
            t0,
            "subscription_create",
            [line(ledger, trial_bill, item_id)],
            subscription=sub_id,
            period=(t0, t0),
        )
        s.latest_invoice = invoice_id
        if trial_end > now:
            s.status = "trialing"
            return finish((t0, trial_end), trial_end)
        if script is not None:
            outcome = script.trial_outcome
        else:
            roll = rng.random()
            outcome = "cancel" if roll < 0.18 else "pause" if roll < 0.23 else "convert"
        if outcome == "cancel":  # no payment method when the trial ended
            s.status, s.canceled_at, s.ended_at = "canceled", trial_end, trial_end
            s.end_behavior, s.cancellation_reason = "cancel", "cancellation_requested"
            return finish((t0, trial_end), trial_end)
        if outcome == "pause":
            s.status, s.end_behavior = "paused", "pause"
            return finish((trial_end, Anchor(trial_end, interval).boundary(1)), trial_end)
        anchor_ts = trial_end
    anchor = Anchor(anchor_ts, interval)
    first = not trial
    k = 0
    ps = anchor_ts
    prev_ps = t0
    pending_downgrade: Price | None = None
    while True:
        pe = anchor.boundary(k + 1)
        if pending_downgrade is not None:
            current, pending_downgrade = pending_downgrade, None
        elif current is catalog.legacy_pro and ps >= catalog.price_migration and rng.random() < 0.5:
            current = catalog.monthly[PRO]  # a grandfathered customer moved to current pricing
        invoice_id = ids.long("in_")
        lines = [line(ledger, bill(current, current.unit_amount, (ps, pe), sub_id), item_id)]
        if first and current.tier >= PRO and rng.random() < 0.35:
            onboarding = bill(catalog.onboarding, ONBOARDING_CENTS, (ps, ps), sub_id)
            lines.append(add_invoice_item(ledger, c, ps, onboarding, invoice=invoice_id))
        elif not first and interval == "month" and current.tier >= 1 and rng.random() < 0.12:
            lines.append(_overage(ledger, catalog, c, (prev_ps, ps), sub_id, invoice_id))
        result = issue_invoice(
            ledger,
            c,
            invoice_id,
            ps,
            "subscription_create" if first else "subscription_cycle",
            lines,
            subscription=sub_id,
            period=(ps, ps) if first else (prev_ps, ps),
            first=first,
            force_fail=script is not None
            and (script.fail_period == k or (k == 0 and script.fail_first)),
            recover_first=script.recover_first if script else None,
            forced=script.forced(k) if script else None,
        )
        s.latest_invoice = invoice_id
        if result.status in _UNPAID:
            final = "cancel"
            if result.status == "exhausted":
                if script is not None:
                    final = script.fail_final
                else:
                    final = "cancel" if rng.random() < 0.75 else "unpaid"
            s.unpaid(result, ps, final)
            return finish((ps, pe), anchor_ts)
        # ---- what happens during the period
        window = min(pe, now) - ps
        if window > 2 * HOUR:
            if script is not None:
                churn, upgrade, downgrade = script.events(k)
            else:
                churn_odds, upgrade_odds, downgrade_odds = _EVENT_ODDS[interval]
                churn = rng.random() < churn_odds
                upgrade = rng.random() < upgrade_odds
                downgrade = rng.random() < downgrade_odds
            if churn:
                at = ps + HOUR + rng.randrange(window - HOUR)
                if script is not None:
                    at_period_end = script.cancel_at_period_end
                else:
                    at_period_end = rng.random() < 0.55
                feedback = rng.choice(_CANCEL_FEEDBACK)
                s.cancel(at, feedback, pe if at_period_end else None, now)
                return finish((ps, pe), anchor_ts)
            if upgrade and current.tier < 3:
                at = ps + HOUR + rng.randrange(window - HOUR)
                new = plans[current.tier + 1]
                s.latest_invoice = _upgrade(ledger, c, sub_id, item_id, current, new, at, (ps, pe))
                current = new
            elif downgrade and current.tier > 0:
                pending_downgrade = plans[current.tier - 1]  # takes effect at renewal
        prev_ps = ps
        k += 1
        ps = pe
        first = False
        if ps > now:
            return finish((prev_ps, pe), anchor_ts)


def _overage(
    ledger: Ledger,
    catalog: Catalog,
    c: Customer,
    usage: tuple[int, int],
    sub_id: str,
    invoice_id: str,
) -> tuple[Any, ...]:
    """Invoice the API calls above the plan during ``usage`` (the previous period)."""
    rng = ledger.rng
    quantity = rng.randrange(1, 60)
    start, end = usage
    created = start + rng.randrange(max(1, end - start))
    description = f"API overage: {quantity * 1000:,} calls"
    billed = bill(
        catalog.overage, quantity * OVERAGE_UNIT_CENTS, usage, sub_id, description, quantity
    )
    return add_invoice_item(ledger, c, created, billed, invoice=invoice_id)


def _upgrade(
    ledger: Ledger,
    c: Customer,
    sub_id: str,
    item_id: str,
    old: Price,
    new: Price,
    at: int,
    period: tuple[int, int],
) -> str:
    """Move up to ``new`` at ``at`` and invoice the prorations at once (``always_invoice``);
    return the invoice's id."""
    ps, pe = period
    fraction_left = (pe - at) / (pe - ps)
    invoice_id = ledger.ids.long("in_")
    label = day_label(at)
    lines = []
    for price, sign, what in ((old, -1, "Unused"), (new, 1, "Remaining")):
        amount = sign * round(price.unit_amount * fraction_left)
        description = f"{what} time on {price.name} after {label}"
        billed = bill(price, amount, (at, pe), sub_id, description, proration=True)
        lines.append(
            add_invoice_item(ledger, c, at, billed, invoice=invoice_id, subscription_item=item_id)
        )
    issue_invoice(
        ledger,
        c,
        invoice_id,
        at,
        "subscription_update",
        lines,
        subscription=sub_id,
        period=(at, at),
    )
    return invoice_id

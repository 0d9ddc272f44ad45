"""Collecting an invoice's payment as Stripe Billing does: at finalization, then retries."""

from collections.abc import Callable
from dataclasses import dataclass

from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, MINUTE
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.records import field_reader


@dataclass(slots=True)
class Collection:
    """How an invoice's payment went (the invoice's record holds its fields, in order)."""

    status: str  # paid | draft | retrying | incomplete | expired | exhausted
    charge: str | None = None
    attempts: int = 0
    paid_at: int | None = None
    next_attempt: int | None = None
    last_attempt: int | None = None


collection_record = field_reader(Collection)

Attempt = Callable[..., str]
"""``attempt(at, succeed, forced=None)``: charge the invoice at ``at``; the charge's id."""


def paid(charge: str, attempts: int, at: int) -> Collection:
    """Paid by ``charge`` at ``at``, on attempt ``attempts``."""
    return Collection("paid", charge, attempts, paid_at=at, last_attempt=at)


def collect(
    ledger: Ledger,
    attempt: Attempt,
    reliability: float,
    amount: int,
    finalized: int,
    *,
    first: bool,
    force_fail: bool = False,
    recover_first: bool | None = None,
    forced: str | None = None,
) -> Collection:
    """Attempt payment at finalization, then retry; ``reliability`` is the first attempt's
    chance of success."""
    now = ledger.now
    rng = ledger.rng
    if finalized > now:
        return Collection("draft")
    if amount <= 0:
        return Collection("paid", paid_at=finalized)
    at = finalized + rng.randrange(2, 40)
    ok = not force_fail and (forced is not None or rng.random() < reliability)
    charge = attempt(at, ok, forced)
    if ok:
        return paid(charge, 1, at)
    if first:
        # A subscription's first invoice: the customer has 23 hours to pay, else it expires.
        if at + 23 * HOUR > now:
            return Collection("incomplete", charge, 1, last_attempt=at)
        if rng.random() < 0.45 if recover_first is None else recover_first:
            at += rng.randrange(10 * MINUTE, 20 * HOUR)
            return paid(attempt(at, True), 2, at)
        return Collection("expired", charge, 1, last_attempt=at)
    # Smart retries: about 3, 5 and 7 days after the previous attempt.
    attempts = 1
    for gap in (3, 5, 7):
        retry_at = at + gap * DAY + rng.randrange(-3 * HOUR, 3 * HOUR)
        if retry_at > now:
            return Collection("retrying", charge, attempts, next_attempt=retry_at, last_attempt=at)
        at = retry_at
        attempts += 1
        ok = not force_fail and rng.random() < 0.5
        charge = attempt(at, ok)
        if ok:
            return paid(charge, attempts, at)
    return Collection("exhausted", charge, attempts, last_attempt=at)

"""Scripted lifecycles, so every status and event exists whatever the seed or size."""

from dataclasses import dataclass

from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, add_months


@dataclass
class Script:
    """A forced lifecycle; the customer's payments fail only where the script says."""

    created: int
    tier: int
    interval: str = "month"
    trial: bool = False
    trial_outcome: str = "convert"  # convert | cancel | pause
    fail_first: bool = False
    recover_first: bool = False
    fail_period: int | None = None  # every attempt of this period's invoice fails
    fail_final: str = "cancel"  # cancel | unpaid, once retries are exhausted
    upgrade_period: int | None = None
    downgrade_period: int | None = None
    cancel_period: int | None = None
    cancel_at_period_end: bool = False
    reactivate_after_days: int | None = None
    refund_and_dispute_period: int | None = None  # that period's charge: half refunded, disputed
    full_refund_period: int | None = None  # that period's charge: refunded in full

    def events(self, period: int) -> tuple[bool, bool, bool]:
        """Whether the customer cancels, upgrades or downgrades during ``period``."""
        return (
            period == self.cancel_period,
            period == self.upgrade_period,
            period == self.downgrade_period,
        )

    def forced(self, period: int) -> str | None:
        if period == self.refund_and_dispute_period:
            return "dispute"
        if period == self.full_refund_period:
            return "refund"
        return None


def scripts(start: int, now: int) -> list[Script]:
    """Sixteen lifecycles that cover every subscription status and lifecycle event."""

    def months_ago(months: int, days: float = 0) -> int:
        return add_months(now - int(days * DAY), -months)

    return [
        Script(now - 5 * DAY, tier=1, trial=True),  # trialing
        Script(now - 3 * HOUR, tier=0, fail_first=True),  # incomplete
        Script(now - 40 * DAY, tier=1, fail_first=True, recover_first=False),  # expired
        Script(months_ago(6, 2), tier=1, fail_period=6),  # past_due, retrying
        Script(months_ago(10), tier=2, fail_period=7, fail_final="unpaid"),  # unpaid
        Script(months_ago(14), tier=0, fail_period=5, fail_final="cancel"),  # dunning churn
        Script(now - 60 * DAY, tier=1, trial=True, trial_outcome="pause"),  # paused
        Script(now - 45 * DAY, tier=0, trial=True, trial_outcome="cancel"),  # trial lost
        Script(months_ago(16), tier=0, upgrade_period=3),  # upgrade, prorated
        Script(months_ago(15), tier=3, downgrade_period=4),  # downgrade at renewal
        Script(start + 20 * DAY, tier=1, cancel_period=6, reactivate_after_days=75),
        Script(months_ago(9, 10), tier=2, cancel_period=9, cancel_at_period_end=True),
        Script(months_ago(20), tier=2, interval="year"),  # annual, renewed
        Script(months_ago(11), tier=1, refund_and_dispute_period=2, full_refund_period=4),
        Script(start + 2 * DAY, tier=2),  # on the legacy Pro price at first
        Script(months_ago(3), tier=3),  # enterprise, recent
    ]

"""The simulation: customers sign up over the history and live their lifecycles; then the
account's daily payouts."""

import itertools

from connectors.sandbox.stripe.dataset.billing import add_invoice_item, bill, issue_invoice
from connectors.sandbox.stripe.dataset.catalog import ONBOARDING_CENTS, Catalog
from connectors.sandbox.stripe.dataset.customers import new_customer, record_customer
from connectors.sandbox.stripe.dataset.dates import DAY, HOUR, MINUTE, add_months
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.payouts import pay_out
from connectors.sandbox.stripe.dataset.records import Customer
from connectors.sandbox.stripe.dataset.scripts import Script, scripts
from connectors.sandbox.stripe.dataset.subscriptions import subscription
from connectors.sandbox.stripe.dataset.tables import Table

_TIER_WEIGHTS = list(itertools.accumulate((45, 30, 18, 7)))  # cumulative, for Random.pick


class Simulation:
    """``years`` years of the account's history up to ``now``."""

    def __init__(self, seed: int, now: int, years: int) -> None:
        self.now = now
        self.start = add_months(now, -12 * years)
        self.ledger = Ledger(seed, now)
        self.catalog = Catalog(self.ledger, self.start)

    def run(self, customers: int) -> dict[str, Table]:
        """Simulate ``customers`` customers (sixteen of them scripted, given as many)."""
        rng = self.ledger.rng
        span = self.now - self.start
        scripted = scripts(self.start, self.now) if customers >= 16 else []
        # Signups grow: their density rises linearly from 1x to 1.5x across the history.
        plan: list[tuple[int, Script | None]] = [
            (self.start + int(span * 2 * ((1 + 1.25 * rng.random()) ** 0.5 - 1)), None)
            for _ in range(customers - len(scripted))
        ]
        plan += [(script.created, script) for script in scripted]
        plan.sort(key=lambda item: item[0])
        for signup, script in plan:
            customer = new_customer(self.ledger, signup)
            if script is not None:
                customer.reliability = 1.0  # only the script's forced failures happen
            self._lifecycle(customer, script)
        pay_out(self.ledger)
        return self.ledger.served()

    def _lifecycle(self, c: Customer, script: Script | None) -> None:
        """The customer's subscriptions, one after another (reactivations), then the customer."""
        ledger = self.ledger
        rng = ledger.rng
        if script is None:
            roll = rng.random()
            if roll < 0.06:  # never subscribes; some buy the onboarding package on its own
                if rng.random() < 0.5:
                    self._manual_invoice(c)
                record_customer(ledger, c)
                return
            t0 = c.created + rng.randrange(5, 15 * MINUTE)
            if roll > 0.9:  # subscribes weeks after signing up
                t0 = c.created + rng.randrange(DAY, 60 * DAY)
            tier = rng.pick((0, 1, 2, 3), _TIER_WEIGHTS)
            interval = "year" if rng.random() < 0.12 else "month"
            trial = rng.random() < 0.3
        else:
            t0 = script.created + 7 * MINUTE
            tier, interval, trial = script.tier, script.interval, script.trial
        reactivations = 0
        while t0 <= self.now:
            price = self.catalog.pick(tier, interval, t0)
            ended = subscription(ledger, self.catalog, c, t0, price, trial=trial, script=script)
            if ended is None:
                break
            if script is not None:
                if script.reactivate_after_days is None:
                    break
                t0 = ended + script.reactivate_after_days * DAY
                script = None  # the new subscription lives a normal, random life
            else:
                if rng.random() >= (0.22 if reactivations == 0 else 0.1):
                    break
                t0 = ended + rng.randrange(20 * DAY, 270 * DAY)
            reactivations += 1
            trial = False
            tier = min(3, max(0, tier + rng.choice((-1, 0, 0, 1))))
        record_customer(ledger, c)

    def _manual_invoice(self, c: Customer) -> None:
        """The onboarding package bought on its own, on an emailed invoice."""
        ledger = self.ledger
        created = c.created + ledger.rng.randrange(HOUR, 20 * DAY)
        if created > self.now:
            return
        invoice_id = ledger.ids.long("in_")
        ordered = created - 600
        onboarding = bill(self.catalog.onboarding, ONBOARDING_CENTS, (ordered, ordered), None)
        issue_invoice(
            ledger,
            c,
            invoice_id,
            created,
            "manual",
            [add_invoice_item(ledger, c, ordered, onboarding, invoice=invoice_id)],
            subscription=None,
            period=(created, created),
            send_invoice_days=30,
        )

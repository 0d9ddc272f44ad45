"""The catalog: four plans (monthly and annual prices), Pro's legacy monthly price and two
one-time products (an onboarding package and API overage)."""

from typing import Any

from connectors.sandbox.stripe.dataset.constants import CURRENCY
from connectors.sandbox.stripe.dataset.dates import DAY, HOUR
from connectors.sandbox.stripe.dataset.encoding import frag
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.records import Context, Price
from connectors.sandbox.stripe.dataset.render.catalog import price_and_plan, product_object

TIERS = (
    # name, monthly cents, description, features
    (
        "Starter",
        2900,
        "For individuals and small teams getting started.",
        ("5 projects", "Email support"),
    ),
    (
        "Growth",
        7900,
        "For growing teams that need more capacity.",
        ("25 projects", "SSO", "Priority email support"),
    ),
    (
        "Pro",
        19900,
        "For established businesses with advanced needs.",
        ("Unlimited projects", "SSO", "Audit log", "Chat support"),
    ),
    (
        "Enterprise",
        49900,
        "For large organizations with compliance requirements.",
        ("Unlimited projects", "SAML SSO", "Audit log", "Dedicated success manager", "99.99% SLA"),
    ),
)
PRO = 2  # the tier repriced during the history
_LEGACY_PRO_MONTHLY = 14900
_LEGACY_PRICING = 2024  # the year Pro's legacy monthly price dates from
ONBOARDING_CENTS = 50000
OVERAGE_UNIT_CENTS = 200  # per 1,000 API calls
_ONBOARDING = (
    # name, cents, description, features, unit label
    "Onboarding package",
    ONBOARDING_CENTS,
    "Guided setup and data migration with a solutions engineer.",
    ("Kickoff workshop",),
    None,
)
_OVERAGE = (
    "API overage",
    OVERAGE_UNIT_CENTS,
    "Usage above the plan's included API calls.",
    (),
    "1,000 API calls",
)


def _prebuilt(_context: Context, obj: dict[str, Any]) -> dict[str, Any]:
    return obj


class Catalog:
    """Creates the products and prices; picks a plan's price at a given time."""

    def __init__(self, ledger: Ledger, start: int) -> None:
        self.ledger = ledger
        self.price_change = start + 120 * DAY  # Pro monthly repriced from $149 to $199
        self.price_migration = start + 400 * DAY  # grandfathered Pro customers migrated
        launched = start - 75 * DAY + 9 * HOUR
        self.monthly: list[Price] = []
        self.yearly: list[Price] = []
        products = []
        for tier, (name, cents, description, features) in enumerate(TIERS):
            product_id = ledger.ids.short("prod_")
            products.append(product_id)
            created = launched + tier * 97
            # Pro monthly was repriced: its current price dates from the price change.
            monthly_created = self.price_change if tier == PRO else created + 1
            monthly = self._price(product_id, tier, name, "month", cents, monthly_created)
            self.monthly.append(monthly)
            self.yearly.append(self._price(product_id, tier, name, "year", cents * 10, created + 2))
            self._product(
                product_object(product_id, name, description, features, created, monthly.id)
            )
        self.legacy_pro = self._price(
            products[PRO],
            PRO,
            TIERS[PRO][0],
            "month",
            _LEGACY_PRO_MONTHLY,
            launched + 300,
            legacy=True,
        )
        self.onboarding = self._one_time(launched + 499, *_ONBOARDING)
        self.overage = self._one_time(launched + 599, *_OVERAGE)

    def plans(self, interval: str) -> list[Price]:
        """The current price of each tier, by tier."""
        return self.yearly if interval == "year" else self.monthly

    def pick(self, tier: int, interval: str, at: int) -> Price:
        """The price a new subscription to ``tier`` gets at ``at``."""
        if interval == "year":
            return self.yearly[tier]
        if tier == PRO and at < self.price_change:
            return self.legacy_pro
        return self.monthly[tier]

    def _one_time(
        self,
        created: int,
        name: str,
        cents: int,
        description: str,
        features: tuple[str, ...],
        unit_label: str | None,
    ) -> Price:
        product_id = self.ledger.ids.short("prod_")
        price = self._price(product_id, -1, name, None, cents, created + 1)
        self._product(
            product_object(
                product_id, name, description, features, created, price.id, unit_label=unit_label
            )
        )
        return price

    def _price(
        self,
        product: str,
        tier: int,
        name: str,
        interval: str | None,
        cents: int,
        created: int,
        *,
        legacy: bool = False,
    ) -> Price:
        """A price; a ``legacy`` one is archived, kept for the subscriptions still on it."""
        ledger = self.ledger
        price_id = ledger.ids.long("price_")
        kind = "annual" if interval == "year" else "monthly"
        slug = name.lower().replace(" ", "_")
        nickname = f"{name} {kind}" if interval else name
        lookup_key = f"{slug}_{kind}" if interval else slug
        if legacy:
            nickname += f" ({_LEGACY_PRICING} pricing)"
            lookup_key += f"_{_LEGACY_PRICING}"
        active = not legacy
        obj, plan = price_and_plan(
            price_id,
            product,
            created,
            cents,
            interval,
            active=active,
            lookup_key=lookup_key,
            nickname=nickname,
        )
        line = f"1 \u00d7 {name} (at ${cents / 100:,.2f} / {interval})" if interval else name
        prices = ledger.context.prices
        price = Price(
            len(prices), price_id, name, tier, interval, cents, frag(obj), plan and frag(plan), line
        )
        prices.append(price)
        attrs = ("true" if active else "false", product, obj["type"], CURRENCY)
        ledger.tables["prices"].add(created, price_id, _prebuilt, (obj,), attrs)
        return price

    def _product(self, obj: dict[str, Any]) -> None:
        self.ledger.tables["products"].add(obj["created"], obj["id"], _prebuilt, (obj,), ("true",))

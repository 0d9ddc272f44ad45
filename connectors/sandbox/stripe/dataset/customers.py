"""New customers: a person at a company, an address and a card on file."""

from connectors.sandbox.stripe.dataset.encoding import frag
from connectors.sandbox.stripe.dataset.ledger import Ledger
from connectors.sandbox.stripe.dataset.people import (
    BRAND_WEIGHTS,
    BRANDS,
    COMPANY_STEMS,
    COMPANY_SUFFIXES,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_KINDS,
    STREETS,
    TLDS,
)
from connectors.sandbox.stripe.dataset.records import Customer
from connectors.sandbox.stripe.dataset.render.customers import render_customer


def new_customer(ledger: Ledger, created: int) -> Customer:
    """A customer who signed up at ``created`` (recorded by :func:`record_customer`)."""
    rng = ledger.rng
    ids = ledger.ids
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    domain = f"{rng.choice(COMPANY_STEMS)}{rng.choice(COMPANY_SUFFIXES)}.{rng.choice(TLDS)}"
    email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{domain}"
    country, _, cities = rng.pick(COUNTRIES, COUNTRY_WEIGHTS)
    city, state, postal = rng.choice(cities)
    address = {
        "city": city,
        "country": country,
        "line1": f"{rng.randrange(1, 2400)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
        "line2": f"Suite {rng.randrange(100, 999)}" if rng.random() < 0.3 else None,
        "postal_code": "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in postal),
        "state": state,
    }
    brand = rng.pick(BRANDS, BRAND_WEIGHTS)[0]
    name = f"{first} {last}"
    card = {
        "brand": brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": "pass",
            "cvc_check": "pass",
        },
        "country": country,
        "exp_month": rng.randrange(1, 13),
        "exp_year": 2027 + rng.randrange(5),
        "fingerprint": ids.chars(16),
        "funding": "credit" if rng.random() < 0.8 else "debit",
        "installments": None,
        "last4": f"{rng.randrange(10000):04d}",
        "mandate": None,
        "network": brand,
        "network_token": {"used": False},
        "three_d_secure": None,
        "wallet": None,
    }
    customers = ledger.context.customers
    customer = Customer(
        index=len(customers),
        id=ids.short("cus_"),
        created=created,
        name=name,
        email=email,
        address=frag(address),
        invoice_prefix=f"{rng.getrandbits(32):08X}",
        payment_method=ids.long("pm_"),
        brand=brand,
        billing_details=frag({"address": address, "email": email, "name": name, "phone": None}),
        payment_method_details=frag({"card": card, "type": "card"}),
        reliability=0.97 if rng.random() < 0.85 else 0.8,
    )
    customers.append(customer)
    return customer


def record_customer(ledger: Ledger, c: Customer) -> None:
    """Record the customer once its history is simulated (the object shows its outcome)."""
    ledger.tables["customers"].add(c.created, c.id, render_customer, (c.index,), (c.email,))

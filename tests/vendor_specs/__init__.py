"""Vendor API data the tests carry (see README.md here): Stripe's description, in part, and
distilled facts of the others (all that may be kept of those that may not be copied). A missing
file is an error."""

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FACT_VENDORS = (
    "hubspot",
    "zoho-crm",
    "pagerduty",
    "front",
    "asana",
    "box",
    "chargebee",
    "intercom",
    "klaviyo",
    "paypal",
    "sendgrid",
    "slack",
    "square",
    "twilio",
    "xero",
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def stripe_spec() -> dict[str, Any]:
    """The part of Stripe's OpenAPI description (API version 2023-08-16) the tests use."""
    return _load(HERE / "stripe" / "spec3-extract.json")


def facts(vendor: str) -> dict[str, Any]:
    """Distilled facts of one vendor's API description: ``provenance`` and ``operations``."""
    if vendor not in FACT_VENDORS:
        raise ValueError(f"no facts for {vendor!r}; there are {', '.join(FACT_VENDORS)}")
    return _load(HERE / vendor / "facts.json")

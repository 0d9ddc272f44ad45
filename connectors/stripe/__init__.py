"""The Stripe connector, built on the official ``stripe`` SDK (a Python connector of the SDK)."""

from typing import Any

from connectors.base import ConnectionSpec, Connector, ConnectorInfo
from connectors.config_schema import BASE_URL, object_schema, secret, streams_field
from connectors.egress import check_base_url, check_http_values
from connectors.stripe.streams import STREAMS
from governance.errors import AtsparkError

ALLOWED_HOST = "api.stripe.com"
DEFAULT_BASE_URL = f"https://{ALLOWED_HOST}"
STREAM_NAMES = [stream.spec.name for stream in STREAMS]

INFO = ConnectorInfo(
    name="stripe",
    title="Stripe",
    category="billing",
    auth="bearer",
    description="Stripe billing: customers, subscriptions, invoices, charges, payouts and more.",
    docs_url="https://docs.stripe.com/api",
    streams=tuple(stream.spec for stream in STREAMS),
    config_schema=object_schema(
        {
            "base_url": {**BASE_URL, "default": DEFAULT_BASE_URL},
            "streams": streams_field(STREAM_NAMES),
            "api_key": secret("Secret or restricted API key (read-only)"),
        },
        required=["api_key"],
    ),
)


class StripeConnector(Connector):
    max_network_retries = 5

    def __init__(self) -> None:
        super().__init__(INFO)

    def base_url(self, connection: ConnectionSpec) -> str:
        return str(connection.config.get("base_url", DEFAULT_BASE_URL)).rstrip("/")

    def validate(self, connection: ConnectionSpec) -> None:
        """The schema's rules and a key fit for a header."""
        super().validate(connection)
        check_http_values(self.name, connection.config, connection.secrets)

    def parse_config(self, given: dict[str, Any]) -> dict[str, Any]:
        parsed = super().parse_config(given)
        if isinstance(parsed.get("streams"), list):
            unknown = sorted(set(parsed["streams"]) - set(STREAM_NAMES))
            if unknown:
                known = ", ".join(STREAM_NAMES)
                raise AtsparkError(f"unknown stripe streams {', '.join(unknown)} (known: {known})")
        return parsed

    def source(self, connection: ConnectionSpec):
        """The SDK's client sends the key to the base URL: refused unless it is Stripe's host
        or one the operator allows. (Checked when a run starts, not when a connection is
        added: connections stored before the rule still load, and still never leak.)"""
        from connectors.stripe.source import stripe_source

        allowed = (ALLOWED_HOST, *connection.runtime.egress_hosts)
        check_base_url(self.base_url(connection), allowed, self.name)
        selected = connection.config.get("streams") or STREAM_NAMES
        return stripe_source(
            connection.secrets["api_key"],
            self.base_url(connection),
            self.max_network_retries,
            [stream for stream in STREAMS if stream.spec.name in selected],
        )


connector = StripeConnector()

"""The Stripe connector, built on the official ``stripe`` SDK."""

from typing import Any, ClassVar

import dlt
import stripe
from dlt.extract.source import DltSource

from connectors.base import ConnectionSpec, Field, HttpConnector, StreamSpec
from connectors.stripe.pages import list_pages
from connectors.stripe.streams import STREAMS, StripeStream


class StripeConnector(HttpConnector):
    name = "stripe"
    description = "Stripe billing: customers, subscriptions, invoices, charges, payouts and more."
    cadence = "0 * * * *"
    default_base_url = "https://api.stripe.com"
    secret_fields = (Field("api_key", "Secret or restricted API key (read-only)", required=True),)
    max_network_retries: ClassVar[int] = 5

    def streams(self) -> tuple[StreamSpec, ...]:
        return tuple(stream.spec for stream in STREAMS)

    def source(self, connection: ConnectionSpec) -> DltSource:
        client = stripe.StripeClient(
            connection.secrets["api_key"],
            base_addresses={"api": self.base_url(connection)},
            max_network_retries=self.max_network_retries,
        )
        resources = [_resource(client, stream) for stream in STREAMS]
        return dlt.source(name=connection.name, max_table_nesting=0)(lambda: resources)()


def _resource(client: stripe.StripeClient, stream: StripeStream) -> Any:
    def objects(
        created: dlt.sources.incremental[int] = dlt.sources.incremental("created", initial_value=0),
    ):
        yield from list_pages(client, stream.path, stream.params, created.last_value)

    return dlt.resource(
        objects,
        name=stream.spec.name,
        primary_key=stream.spec.primary_key,
        write_disposition="merge",
        parallelized=True,
    )


connector = StripeConnector()

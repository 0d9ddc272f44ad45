"""The Stripe connector's dlt source, on the official ``stripe`` SDK's httpx transport."""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import dlt
import orjson
import stripe
from dlt.extract.source import DltSource

from connectors.arrow import arrow_schema
from connectors.stripe.pages import list_pages
from connectors.stripe.streams import StripeStream

API_VERSION = "2023-08-16"
"""The Stripe API version the connector asks for: the one its declared columns describe
(``columns.py``), so Stripe answers in exactly that shape whatever the SDK's own default."""


def stripe_source(
    api_key: str, base_url: str, retries: int, streams: list[StripeStream]
) -> DltSource:
    """One merge resource per selected stream, each reading its list endpoint from the SDK."""
    open_client = partial(_open_client, api_key, base_url, retries)
    resources = [_resource(open_client, stream) for stream in streams]
    return dlt.source(name="stripe", max_table_nesting=0)(lambda: resources)()


@contextmanager
def _open_client(api_key: str, base_url: str, retries: int) -> Iterator[stripe.StripeClient]:
    """A client on the SDK's httpx transport, its connections closed when the block ends.

    httpx takes a third less time per page here than the SDK's default transport, requests.
    """
    transport = stripe.HTTPXClient(allow_sync_methods=True)
    try:
        yield stripe.StripeClient(
            api_key,
            base_addresses={"api": base_url},
            max_network_retries=retries,
            http_client=transport,
            stripe_version=API_VERSION,
        )
    finally:
        transport.close()


def _resource(
    open_client: Callable[[], AbstractContextManager[stripe.StripeClient]], stream: StripeStream
) -> Any:
    """The stream's dlt resource: its declared columns, typed, are its table's, data or not.

    dlt creates or alters a table only when a load carries rows or an empty file for it, so the
    first run, and the first after the declaration changes, also yields an empty typed table: the
    table then has every declared column even if no object ever arrives or none is new.
    """
    schema = arrow_schema(stream.columns)
    declaration = hashlib.sha256(orjson.dumps(stream.columns)).hexdigest()[:16]

    def objects(
        cursor: dlt.sources.incremental[int] = dlt.sources.incremental(
            stream.spec.cursor, initial_value=0
        ),
    ):
        state = dlt.current.resource_state()
        if state.get("declaration") != declaration:
            yield schema.empty_table()
            state["declaration"] = declaration
        with open_client() as client:
            yield from list_pages(client, stream.path, stream.params, cursor.last_value, schema)

    return dlt.resource(
        objects,
        name=stream.spec.name,
        primary_key=list(stream.spec.key),
        columns={name: {"data_type": kind} for name, kind in stream.columns.items()},
        write_disposition="merge",
        parallelized=True,
    )

"""The Stripe streams atspark ingests, and the list endpoint behind each."""

from dataclasses import dataclass, field

from connectors.base import StreamSpec
from connectors.stripe.columns import COLUMNS


@dataclass(frozen=True)
class StripeStream:
    spec: StreamSpec
    path: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> dict[str, str]:
        """The stream's declared columns, in order, and their dlt data types."""
        return COLUMNS[self.spec.name]


def _stream(name: str, path: str, cursor: str = "created", **params: str) -> StripeStream:
    """A stream whose list endpoint filters with ``created[gte]`` on the ``cursor`` field."""
    spec = StreamSpec(
        name,
        primary_key="id",
        cursor=cursor,
        write_disposition="merge",
        columns=COLUMNS[name],
        endpoint=f"GET {path}",
    )
    return StripeStream(spec, path, params)


STREAMS: tuple[StripeStream, ...] = (
    _stream("customers", "/v1/customers"),
    _stream("subscriptions", "/v1/subscriptions", status="all"),
    _stream("invoices", "/v1/invoices"),
    _stream("invoice_items", "/v1/invoiceitems", cursor="date"),
    _stream("charges", "/v1/charges"),
    _stream("refunds", "/v1/refunds"),
    _stream("prices", "/v1/prices"),
    _stream("products", "/v1/products"),
    _stream("balance_transactions", "/v1/balance_transactions"),
    _stream("disputes", "/v1/disputes"),
    _stream("payouts", "/v1/payouts"),
)

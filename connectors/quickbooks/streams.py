"""The QuickBooks streams: one per QuickBooks Online entity, and how each is read.

A stream is named after its entity in snake_case (``Invoice`` is ``invoice``, ``BillPayment``
``bill_payment``), keyed on ``Id`` and incremental on ``MetaData.LastUpdatedTime`` (the column
``MetaData__LastUpdatedTime``). Name lists (customers, vendors, accounts ...) are never deleted in
QuickBooks, only made inactive, and the query endpoint answers only active ones unless asked for
``Active IN (true, false)``: their streams ask for both. Tax codes and tax rates cannot be
filtered on their update time nor read by change data capture: they are read whole each run.
"""

import re
from dataclasses import dataclass

from connectors.base import StreamSpec
from connectors.quickbooks.columns import COLUMNS

CURSOR = "MetaData__LastUpdatedTime"
DELETED = "status"
"""The column of a change-data-capture tombstone (``status: Deleted``)."""


@dataclass(frozen=True)
class QuickBooksStream:
    spec: StreamSpec
    entity: str
    """Intuit's name of the entity (the SDK's ``qbo_object_name``)."""
    name_list: bool = False
    """Entities made inactive rather than deleted: queries ask for the inactive ones too."""
    filtered: bool = True
    """The query endpoint filters and orders on ``MetaData.LastUpdatedTime``."""
    captured: bool = True
    """Change data capture reports its changes and deletions."""

    @property
    def columns(self) -> dict[str, str]:
        return COLUMNS[self.entity]


def stream_name(entity: str) -> str:
    """``BillPayment`` as a stream name: ``bill_payment``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", entity).lower()


def _stream(entity: str, **how: bool) -> QuickBooksStream:
    endpoints = f"POST /v3/company/{{realmId}}/query (select * from {entity})"
    if how.get("captured", True):
        endpoints += f"; GET /v3/company/{{realmId}}/cdc?entities={entity}"
    spec = StreamSpec(
        stream_name(entity),
        primary_key="Id",
        cursor=CURSOR,
        write_disposition="merge",
        columns=COLUMNS[entity],
        endpoint=endpoints,
    )
    return QuickBooksStream(spec, entity, **how)


STREAMS: tuple[QuickBooksStream, ...] = (
    _stream("Account", name_list=True),
    _stream("Bill"),
    _stream("BillPayment"),
    _stream("Class", name_list=True),
    _stream("CreditMemo"),
    _stream("Customer", name_list=True),
    _stream("Department", name_list=True),
    _stream("Deposit"),
    _stream("Employee", name_list=True),
    _stream("Estimate"),
    _stream("Invoice"),
    _stream("Item", name_list=True),
    _stream("JournalEntry"),
    _stream("Payment"),
    _stream("PaymentMethod", name_list=True),
    _stream("Purchase"),
    _stream("PurchaseOrder"),
    _stream("RefundReceipt"),
    _stream("SalesReceipt"),
    _stream("TaxCode", filtered=False, captured=False),
    _stream("TaxRate", filtered=False, captured=False),
    _stream("Term", name_list=True),
    _stream("TimeActivity"),
    _stream("Transfer"),
    _stream("Vendor", name_list=True),
    _stream("VendorCredit"),
)
STREAM_NAMES = [stream.spec.name for stream in STREAMS]

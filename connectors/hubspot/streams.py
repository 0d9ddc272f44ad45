"""The HubSpot streams atspark ingests: five CRM objects read through the search API, owners and
pipelines read from their list endpoints, and the columns each lands with."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.base import StreamSpec

RECORD_FIELDS = {
    "id": ("id", "text"),
    "created_at": ("createdAt", "timestamp"),
    "updated_at": ("updatedAt", "timestamp"),
    "archived": ("archived", "bool"),
}
"""Each column of a CRM object's own fields: the field it holds, and its dlt data type; its
properties follow."""


@dataclass(frozen=True)
class ObjectStream:
    """A CRM object type: searched with ``modified`` >= the cursor, sorted ascending by it."""

    name: str
    modified: str
    """The property holding the last modification time (the stream's cursor)."""
    properties: Mapping[str, str]
    """The properties loaded by default, each a column of this dlt data type."""
    scope: str

    def columns(self, extra: Sequence[str] = ()) -> dict[str, str]:
        """The stream's columns: the record's own, the default properties, then ``extra``
        properties (as text: HubSpot sends every property value as text)."""
        added = {name: "text" for name in extra if name not in self.properties}
        own = {column: kind for column, (_, kind) in RECORD_FIELDS.items()}
        return {**own, **self.properties, **added}

    @property
    def config_field(self) -> str:
        """The connection's field naming more properties to load: ``contacts_properties``."""
        return f"{self.name}_properties"

    @property
    def spec(self) -> StreamSpec:
        return StreamSpec(
            self.name,
            primary_key="id",
            cursor=self.modified,
            write_disposition="merge",
            columns=self.columns(),
            endpoint=f"POST /crm/v3/objects/{self.name}/search",
        )


def _properties(modified: str, **typed: str) -> dict[str, str]:
    """Properties of an object: its own (``text`` unless typed otherwise), then the three every
    search answer carries."""
    return {**typed, "createdate": "timestamp", modified: "timestamp", "hs_object_id": "text"}


CONTACT = "lastmodifieddate"
OTHER = "hs_lastmodifieddate"
OBJECT_STREAMS = (
    ObjectStream(
        "contacts",
        CONTACT,
        _properties(
            CONTACT,
            email="text",
            firstname="text",
            lastname="text",
            phone="text",
            company="text",
            jobtitle="text",
            lifecyclestage="text",
            hs_lead_status="text",
            hubspot_owner_id="text",
        ),
        "crm.objects.contacts.read",
    ),
    ObjectStream(
        "companies",
        OTHER,
        _properties(
            OTHER,
            name="text",
            domain="text",
            industry="text",
            phone="text",
            city="text",
            country="text",
            numberofemployees="double",
            annualrevenue="double",
            lifecyclestage="text",
            hubspot_owner_id="text",
        ),
        "crm.objects.companies.read",
    ),
    ObjectStream(
        "deals",
        OTHER,
        _properties(
            OTHER,
            dealname="text",
            amount="double",
            dealstage="text",
            pipeline="text",
            closedate="timestamp",
            dealtype="text",
            hubspot_owner_id="text",
        ),
        "crm.objects.deals.read",
    ),
    ObjectStream(
        "tickets",
        OTHER,
        _properties(
            OTHER,
            subject="text",
            content="text",
            hs_pipeline="text",
            hs_pipeline_stage="text",
            hs_ticket_priority="text",
            hs_ticket_category="text",
            hubspot_owner_id="text",
        ),
        "tickets",
    ),
    ObjectStream(
        "line_items",
        OTHER,
        _properties(
            OTHER,
            name="text",
            hs_product_id="text",
            quantity="double",
            price="double",
            amount="double",
        ),
        "crm.objects.line_items.read",
    ),
)
OBJECTS = {stream.name: stream for stream in OBJECT_STREAMS}

OWNER_FIELDS = {
    "id": ("id", "text"),
    "email": ("email", "text"),
    "first_name": ("firstName", "text"),
    "last_name": ("lastName", "text"),
    "user_id": ("userId", "bigint"),
    "user_id_including_inactive": ("userIdIncludingInactive", "bigint"),
    "type": ("type", "text"),
    "teams": ("teams", "json"),
    "created_at": ("createdAt", "timestamp"),
    "updated_at": ("updatedAt", "timestamp"),
    "archived": ("archived", "bool"),
}
"""Each owners column: the owner's field it holds, and its dlt data type."""
PIPELINE_FIELDS = {
    "object_type": ("object_type", "text"),
    "id": ("id", "text"),
    "label": ("label", "text"),
    "display_order": ("displayOrder", "bigint"),
    "archived": ("archived", "bool"),
    "created_at": ("createdAt", "timestamp"),
    "updated_at": ("updatedAt", "timestamp"),
    "stages": ("stages", "json"),
}
"""Each pipelines column: the pipeline's field it holds (``object_type``: which object's
pipeline it is, ``deals`` or ``tickets``), and its dlt data type."""
PIPELINE_OBJECTS = ("deals", "tickets")

OWNERS = StreamSpec(
    "owners",
    primary_key="id",
    write_disposition="merge",
    columns={column: kind for column, (_, kind) in OWNER_FIELDS.items()},
    endpoint="GET /crm/v3/owners",
)
PIPELINES = StreamSpec(
    "pipelines",
    primary_key=("object_type", "id"),
    write_disposition="merge",
    columns={column: kind for column, (_, kind) in PIPELINE_FIELDS.items()},
    endpoint="GET /crm/v3/pipelines/{objectType}",
)
STREAMS: tuple[StreamSpec, ...] = (*(stream.spec for stream in OBJECT_STREAMS), OWNERS, PIPELINES)
STREAM_NAMES = tuple(stream.name for stream in STREAMS)

SCOPES = (
    *(stream.scope for stream in OBJECT_STREAMS),
    "crm.objects.owners.read",
)
"""What reading every stream needs, nothing more: each object's read scope (tickets' is
``tickets``), owners'; deal and ticket pipelines are readable with the deals and tickets scopes."""

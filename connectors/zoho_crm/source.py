"""The Zoho CRM connector's dlt source: one merge resource per module, incremental on
``Modified_Time`` (sent as ``If-Modified-Since``), its pages as Arrow tables of the module's
columns."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
import orjson
import pyarrow as pa
from dlt.extract.source import DltSource

from connectors.arrow import arrow_schema, to_arrow
from connectors.base import ConnectionSpec
from connectors.declarative.spec import Retry
from connectors.egress import Egress, guarded_session
from connectors.oauth import OAuthApp, OAuthTokens
from connectors.zoho_crm import config as settings
from connectors.zoho_crm.api import TITLE, ZohoApi
from connectors.zoho_crm.columns import columns, requested
from connectors.zoho_crm.vendor import CURSOR, stream_name
from governance.errors import AtsparkError

AUTH_PREFIX = "Zoho-oauthtoken "
RETRY = Retry(max_attempts=8, backoff_factor=0.5, max_delay=60, timeout=60)
BATCH_ROWS = 2_000
"""Pages go to dlt in batches of this many rows: dlt's cost is per item, not per row."""


def zoho_source(connection: ConnectionSpec, app: OAuthApp) -> DltSource:
    """One resource per selected module, all through one guarded session that reaches only the
    data centre's API and accounts hosts and the operator's allowed hosts."""
    config, runtime = connection.config, connection.runtime
    centre = settings.data_centre(config)
    egress = Egress(TITLE, (centre.api_host, centre.accounts_host, *runtime.egress_hosts), None)
    session = guarded_session(egress, RETRY, stop_on_client_errors=False)
    api = ZohoApi(session, settings.api_url(config), _auth(connection, app, session))
    start = settings.start_date(config)
    resources = [_resource(api, module, start) for module in settings.modules(config)]
    return dlt.source(name="zoho_crm", max_table_nesting=0)(lambda: resources)()


def _auth(connection: ConnectionSpec, app: OAuthApp, session: Any) -> Any:
    """Renewed access tokens when the connection holds a refresh token, else its access token."""
    secrets = connection.secrets
    if secrets.get("refresh_token"):
        tokens = OAuthTokens(app, secrets, session, connection.runtime.save_secrets)
        return tokens.auth(AUTH_PREFIX)
    header = AUTH_PREFIX + secrets["access_token"]

    def fixed(request: Any) -> Any:
        request.headers["Authorization"] = header
        return request

    return fixed


def _resource(api: ZohoApi, module: str, start: datetime | None) -> Any:
    """The module's resource. Its columns come from the fields metadata at each run; when they
    change (a field added), an empty table of them goes first, so the table gets every column
    even if no record is new."""

    def records(
        modified: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            CURSOR, initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        declared = columns(module, api.fields(module))
        schema = arrow_schema(declared)
        key = schema.get_field_index("id")
        schema = schema.set(key, schema.field(key).with_nullable(False))  # as dlt declares it
        state = dlt.current.resource_state()
        declaration = hashlib.sha256(orjson.dumps(declared)).hexdigest()[:16]
        if state.get("declaration") != declaration:
            yield schema.empty_table()
            state["declaration"] = declaration
        batch: list[dict[str, Any]] = []
        for page in api.records(module, requested(declared), if_modified_since(modified)):
            batch.extend(page)
            if len(batch) >= BATCH_ROWS:
                yield _table(module, batch, schema)
                batch = []
        if batch:
            yield _table(module, batch, schema)

    return dlt.resource(
        records,
        name=stream_name(module),
        primary_key="id",
        write_disposition="merge",
        parallelized=True,
    )


def if_modified_since(cursor: Any) -> str | None:
    """The header's value: the highest ``Modified_Time`` loaded so far (or the start date), in
    Zoho's form, ``2024-07-25T15:26:49+00:00``; None on a first run without a start date."""
    moment = cursor.last_value
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _table(module: str, records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    try:
        return to_arrow(records, schema)
    except AtsparkError as error:
        raise AtsparkError(f"{TITLE}'s {module} module {error}") from None

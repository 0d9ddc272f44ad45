"""The QuickBooks connector's dlt source: one merge resource per selected stream.

Each resource reads its entity's changes since its cursor (``pages.py``) and hands them to dlt as
Arrow tables of the declared columns, ``MetaData`` flattened. A deletion tombstone carries
``status`` (``Deleted``), the column dlt is told to hard-delete on: its row leaves the table.
Rows of one key in one load keep the latest (``dedup_sort`` on the cursor). QuickBooks writes
update times to the second, so a run reads again the entities of the last second it saw rather
than skip them as seen (dlt's boundary deduplication is off): one updated again within that
second is not lost, and merging the others again changes nothing.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
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
from connectors.oauth import OAuthApp, OAuthTokens, token_session
from connectors.quickbooks import API_HOSTS
from connectors.quickbooks.api import QuickBooksApi
from connectors.quickbooks.pages import changed_records
from connectors.quickbooks.streams import CURSOR, DELETED, QuickBooksStream
from governance.errors import AtsparkError

API_RETRY = Retry(max_attempts=8, backoff_factor=0.5, max_delay=60, timeout=120)
"""Intuit throttles at 500 requests a minute per company and sends no Retry-After: waits of
0.5 s doubling to 32 s outlast that minute."""

logger = logging.getLogger(__name__)


def quickbooks_source(
    connection: ConnectionSpec,
    config: Mapping[str, Any],
    base_url: str,
    app: OAuthApp,
    streams: list[QuickBooksStream],
) -> DltSource:
    """The source of ``connection`` (validated; ``config`` its config with the defaults),
    reading ``streams``."""
    runtime = connection.runtime
    tokens = OAuthTokens(
        app,
        connection.secrets,
        token_session("QuickBooks OAuth", app, runtime.egress_hosts),
        runtime.save_secrets,
    )
    api_egress = Egress("QuickBooks", (*API_HOSTS.values(), *runtime.egress_hosts), None)

    def open_api() -> QuickBooksApi:
        session = guarded_session(api_egress, API_RETRY, stop_on_client_errors=False)
        return QuickBooksApi(
            base_url,
            str(config["realm_id"]),
            int(config["minor_version"]),
            session,
            tokens,
        )

    start = _start(config.get("start_date"))
    resources = [_resource(open_api, stream, start) for stream in streams]
    return dlt.source(name="quickbooks", max_table_nesting=0)(lambda: resources)()


def _start(start_date: str | None) -> datetime | None:
    if not start_date:
        return None
    moment = datetime.fromisoformat(start_date)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _resource(
    open_api: Callable[[], QuickBooksApi], stream: QuickBooksStream, start: datetime | None
) -> Any:
    """The stream's dlt resource. Its tables carry every declared column; a first run (or the
    first after the declaration changed) that reads nothing yields an empty one, so the table
    exists with those columns whatever the company holds."""
    schema = arrow_schema(stream.columns)
    declaration = hashlib.sha256(orjson.dumps(stream.columns)).hexdigest()[:16]
    tables = _Tables(stream, schema)

    def entities(
        updated: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            CURSOR, initial_value=start, primary_key=()
        ),
    ) -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        read = False
        loaded = updated.last_value != updated.initial_value
        for records in changed_records(open_api(), stream, updated.last_value, loaded):
            if records:
                read = True
                yield tables(records)
        if not read and state.get("declaration") != declaration:
            yield schema.empty_table()
        state["declaration"] = declaration

    columns: dict[str, dict[str, Any]] = {
        name: {"data_type": kind} for name, kind in stream.columns.items()
    }
    columns[DELETED]["hard_delete"] = True
    columns[CURSOR]["dedup_sort"] = "desc"
    return dlt.resource(
        entities,
        name=stream.spec.name,
        primary_key=list(stream.spec.key),
        columns=columns,
        write_disposition="merge",
        parallelized=True,
    )


class _Tables:
    """Records as Arrow tables of the stream's columns. Fields it does not declare are left out,
    a warning naming each once, so every company's table has the same columns."""

    def __init__(self, stream: QuickBooksStream, schema: pa.Schema) -> None:
        self._stream = stream
        self._schema = schema
        self._known = set(schema.names)

    def __call__(self, records: list[dict[str, Any]]) -> pa.Table:
        rows = [_flattened(record) for record in records]
        if new := set().union(*rows) - self._known:
            self._known.update(new)
            logger.warning(
                "QuickBooks %s: undeclared fields left out: %s",
                self._stream.entity,
                ", ".join(sorted(new)),
            )
        try:
            return to_arrow(rows, self._schema)
        except AtsparkError as error:
            raise AtsparkError(
                f"QuickBooks {self._stream.entity} {error}: its declaration in "
                "connectors/quickbooks/columns.py no longer matches the API"
            ) from None


def _flattened(record: dict[str, Any]) -> dict[str, Any]:
    """``MetaData``'s fields as ``MetaData__<field>`` columns, the rest as they are."""
    row = {key: value for key, value in record.items() if key != "MetaData"}
    for key, value in (record.get("MetaData") or {}).items():
        row[f"MetaData__{key}"] = value
    return row

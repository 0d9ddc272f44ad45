"""The HubSpot connector's dlt source: one resource per selected stream, all on one SDK client.

CRM objects merge on ``id`` and load incrementally: each run searches for what was modified at
or after the highest modification time the last one loaded (``dlt.sources.incremental``; dlt
drops the records of that very moment it already holds). Owners and pipelines, a few records
each, are read whole every run and merged.
"""

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import dlt
import orjson
import pyarrow as pa
from dlt.extract.source import DltSource

from connectors.arrow import arrow_schema
from connectors.hubspot.api import HubSpotApi
from connectors.hubspot.search import epoch_ms, modified_since
from connectors.hubspot.streams import (
    OBJECTS,
    OWNER_FIELDS,
    OWNERS,
    PIPELINE_FIELDS,
    PIPELINE_OBJECTS,
    PIPELINES,
    RECORD_FIELDS,
    STREAM_NAMES,
    ObjectStream,
)
from connectors.hubspot.tables import object_table, renamed_table

BATCH_ROWS = 2_000
"""Records handed to dlt in one table: dlt's cost is per item, not per row."""
OWNERS_PAGE = 100


def hubspot_source(
    api: HubSpotApi,
    streams: Sequence[str],
    properties: Mapping[str, Sequence[str]],
    start: datetime | None,
) -> DltSource:
    """The resources of ``streams`` (in the connector's order); ``properties``: more to load of
    each object; ``start``: the earliest modification the first run loads (None: all)."""
    makers = {
        **{
            name: partial(_object_resource, api, stream, properties.get(name, ()), start)
            for name, stream in OBJECTS.items()
        },
        OWNERS.name: partial(_owners_resource, api),
        PIPELINES.name: partial(_pipelines_resource, api),
    }
    resources = [makers[name]() for name in STREAM_NAMES if name in streams]
    return dlt.source(name="hubspot", max_table_nesting=0)(lambda: resources)()


def _object_resource(
    api: HubSpotApi, stream: ObjectStream, extra: Sequence[str], start: datetime | None
) -> Any:
    columns = stream.columns(extra)
    schema = _arrow_schema(columns, stream.spec.key)
    properties = [name for name in columns if name not in RECORD_FIELDS]
    search = partial(api.search, stream.name)

    def records(
        cursor: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            stream.modified, initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        yield from _declaration(columns, schema)
        since = None if cursor.last_value is None else epoch_ms(cursor.last_value)
        batch: list[dict[str, Any]] = []
        for page in modified_since(search, stream.modified, properties, since):
            batch.extend(page)
            if len(batch) >= BATCH_ROWS:
                yield object_table(batch, columns, schema, stream.name)
                batch = []
        if batch:
            yield object_table(batch, columns, schema, stream.name)

    return _resource(records, stream.name, stream.spec.key, columns)


def _owners_resource(api: HubSpotApi) -> Any:
    schema = _arrow_schema(OWNERS.columns, OWNERS.key)

    def owners() -> Iterator[pa.Table]:
        yield from _declaration(OWNERS.columns, schema)
        after = None
        while True:
            answer = api.owners(after, OWNERS_PAGE)
            results = answer.get("results") or []
            if results:
                yield renamed_table(results, OWNER_FIELDS, schema)
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after or not results:
                return

    return _resource(owners, OWNERS.name, OWNERS.key, OWNERS.columns)


def _pipelines_resource(api: HubSpotApi) -> Any:
    schema = _arrow_schema(PIPELINES.columns, PIPELINES.key)

    def pipelines() -> Iterator[pa.Table]:
        yield from _declaration(PIPELINES.columns, schema)
        found = [
            {**pipeline, "object_type": object_type}
            for object_type in PIPELINE_OBJECTS
            for pipeline in api.pipelines(object_type).get("results") or []
        ]
        yield renamed_table(found, PIPELINE_FIELDS, schema)

    return _resource(pipelines, PIPELINES.name, PIPELINES.key, PIPELINES.columns)


def _arrow_schema(columns: Mapping[str, str], key: Sequence[str]) -> pa.Schema:
    """The Arrow schema of the declared columns, the key's not nullable (as dlt has them:
    tables whose schema differs from dlt's cost it a comparison and a warning each)."""
    schema = arrow_schema(columns)
    for name in key:
        at = schema.get_field_index(name)
        schema = schema.set(at, schema.field(at).with_nullable(False))
    return schema


def _resource(data: Any, name: str, key: Sequence[str], columns: Mapping[str, str]) -> Any:
    return dlt.resource(
        data,
        name=name,
        primary_key=list(key),
        columns={column: {"data_type": kind} for column, kind in columns.items()},
        write_disposition="merge",
    )


def _declaration(columns: Mapping[str, str], schema: pa.Schema) -> Iterator[pa.Table]:
    """An empty table of the declared columns on a stream's first run and the first after they
    change: dlt creates or alters a table only for what a load carries, and every declared
    column should be there, data or not."""
    declaration = hashlib.sha256(orjson.dumps(dict(columns))).hexdigest()[:16]
    state = dlt.current.resource_state()
    if state.get("declaration") != declaration:
        state["declaration"] = declaration
        yield schema.empty_table()

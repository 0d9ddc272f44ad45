"""The engine: a declarative spec and a connection compiled into ``dlt.sources.rest_api``.

dlt does the HTTP work (paginators, incremental parameters, parent-child requests, retries);
this module only translates: the spec's vocabulary into rest_api's configuration, the
connection's fields into URLs and credentials, and the platform's rules (egress allow-list, rate
limit, clear errors, refresh-token rotation) into the session dlt sends through.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ConnectionSpec
from connectors.config_schema import with_defaults
from connectors.declarative import spec as s
from connectors.declarative.auth import authenticator
from connectors.declarative.connector import base_url, config_schema, fill, path_segment
from connectors.egress import Egress, guarded_session
from governance.errors import AtsparkError

EPOCH = "1970-01-01T00:00:00Z"
_NOT_IN_A_SEGMENT = re.compile(r"[/?#\\%\x00-\x1f\x7f]")
"""What a parent's value may not hold, put unquoted in its children's paths by dlt."""


def build_source(spec: s.ConnectorSpec, connection: ConnectionSpec):
    """The dlt source of one connection: one resource per selected stream."""
    from dlt.sources.rest_api import rest_api_source

    from connectors.declarative.pages import PageToArrow

    source = rest_api_source(rest_api_config(spec, connection), name=spec.name, max_table_nesting=0)
    for stream in spec.streams:
        resource = source.resources.get(stream.name)
        if resource is None:
            continue
        if children := spec.children(stream.name):  # they read its records as dicts
            fields = sorted({child.parent.field for child in children if child.parent})
            resource.add_map(_path_safe(spec.title, stream.name, fields))
            resource.apply_hints(file_format="parquet")
        else:
            resource.add_step(PageToArrow(spec.title, stream))
    return source


def _path_safe(title: str, stream: str, fields: list[str]) -> Any:
    """A check of each parent record: the values its children put in their paths are one
    segment each (dlt fills them in as they are), so a record named ``../admin`` cannot aim
    the connection's credentials at another endpoint."""

    def check(record: dict[str, Any]) -> dict[str, Any]:
        for field_ in fields:
            value = str(record.get(field_, ""))
            if not value.strip(".") or _NOT_IN_A_SEGMENT.search(value):
                raise AtsparkError(
                    f"{title} returned a {stream}.{field_} that is not one path segment; "
                    "its children were not requested"
                )
        return record

    return check


def rest_api_config(spec: s.ConnectorSpec, connection: ConnectionSpec) -> dict[str, Any]:
    """rest_api's configuration for ``connection`` (its session carries the credentials)."""
    config = with_defaults(config_schema(spec), connection.config)
    values = {**config, **connection.secrets}
    root = base_url(spec, config)
    egress = Egress(
        spec.title,
        (*spec.allowed_hosts, *connection.runtime.egress_hosts),
        spec.rate_limit.requests_per_second if spec.rate_limit else None,
    )
    session = guarded_session(egress, spec.retry)
    session.headers.update({name: fill(value, values) for name, value in spec.headers.items()})
    session.auth = authenticator(
        spec.auth,
        values,
        token_url(spec, values),
        guarded_session(egress, spec.retry, stop_on_client_errors=False),
        connection.runtime.save_secrets,
    )
    selected = set(config.get("streams") or [stream.name for stream in spec.streams])
    needed = _with_parents(spec, selected)
    return {
        "client": {"base_url": root + "/", "session": session},
        "resources": [
            _resource(spec, stream, config, selected)
            for stream in spec.streams
            if stream.name in needed
        ],
    }


def token_url(spec: s.ConnectorSpec, values: Mapping[str, Any]) -> str | None:
    """The OAuth2 token endpoint; a connection with its own ``base_url`` (a sandbox, a proxy)
    finds it at the same path on that host."""
    url = getattr(spec.auth, "token_url", None)
    if url is None:
        return None
    if not values.get("base_url"):
        return fill(url, values)
    given = urlsplit(str(values["base_url"]))
    return f"{given.scheme}://{given.netloc}{urlsplit(url).path}"


def _with_parents(spec: s.ConnectorSpec, selected: set[str]) -> set[str]:
    by_name = {stream.name: stream for stream in spec.streams}
    needed = set(selected)
    for name in selected:
        stream = by_name[name]
        while stream.parent:
            needed.add(stream.parent.stream)
            stream = by_name[stream.parent.stream]
    return needed


def _resource(
    spec: s.ConnectorSpec, stream: s.Stream, config: Mapping[str, Any], selected: set[str]
) -> dict[str, Any]:
    paginator = stream.paginator or spec.defaults.paginator
    params = {
        name: _param(value, config)
        for name, value in {**spec.defaults.params, **stream.params}.items()
    }
    if isinstance(paginator, s.PageNumberPaginator) and paginator.page_size_param:
        params[paginator.page_size_param] = paginator.page_size
    endpoint: dict[str, Any] = {
        "path": _path(stream, config).lstrip("/"),
        "method": stream.method,
        "params": params,
        "paginator": _paginator(paginator),
    }
    endpoint["data_selector"] = records_path(spec, stream)
    if stream.json_body is not None:
        endpoint["json"] = stream.json_body
    if stream.end_statuses:
        endpoint["response_actions"] = [
            {"status_code": status, "action": "ignore"} for status in stream.end_statuses
        ]
    if stream.incremental:
        endpoint["incremental"] = _incremental(stream.incremental, config.get("start_date"))
    keyed = {"primary_key": list(stream.key_columns)} if stream.key_columns else {}
    return {
        "name": stream.name,
        "endpoint": endpoint,
        **keyed,  # none at all for events: dlt then de-duplicates the cursor's boundary by row
        "write_disposition": stream.disposition,
        "columns": {name: {"data_type": kind} for name, kind in stream.columns.items()},
        "selected": stream.name in selected,
    }


def _param(value: Any, config: Mapping[str, Any]) -> Any:
    """A query parameter's value: fields filled, booleans as APIs write them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return fill(value, config) if isinstance(value, str) else value


def records_path(spec: s.ConnectorSpec, stream: s.Stream) -> str:
    """Where the stream's records are in a response body."""
    return stream.records or spec.defaults.records or "$"


def _path(stream: s.Stream, config: Mapping[str, Any]) -> str:
    """The stream's path, config fields filled in (URL-quoted: a value never adds a segment),
    the parent's field left for rest_api to resolve."""
    values: dict[str, Any] = dict(config)
    if stream.parent:
        values[stream.parent.param] = f"{{resources.{stream.parent.stream}.{stream.parent.field}}}"
    return fill(
        stream.path,
        values,
        lambda text: text if text.startswith("{resources.") else path_segment(text),
    )


def _paginator(paginator: Any) -> Any:
    """dlt's paginator configuration, or (where dlt lacks the behaviour) our paginator."""
    from connectors.declarative.paginators import HeaderLinkUntilEmpty, JSONLinkUntilEmpty

    match paginator:
        case s.SinglePage():
            return {"type": paginator.type}
        case s.HeaderLinkPaginator(stop_after_empty_page=True):
            return HeaderLinkUntilEmpty()
        case s.HeaderLinkPaginator():
            return {"type": paginator.type}
        case s.JsonLinkPaginator(stop_after_empty_page=True):
            return JSONLinkUntilEmpty(next_url_path=paginator.next_url_path)
        case s.JsonLinkPaginator():
            return {"type": "json_link", "next_url_path": paginator.next_url_path}
        case s.CursorPaginator():
            return paginator.model_dump(exclude_none=True)  # dlt's own names
        case s.OffsetPaginator() | s.PageNumberPaginator():
            own = {"page_size", "page_size_param"}  # sent as a parameter, not dlt's
            return {
                "total_path": None,  # dlt's default is "total": absent, none is read
                **paginator.model_dump(exclude_none=True, exclude=own),
                "stop_after_empty_page": True,
            }
    raise AssertionError(f"unknown paginator {paginator!r}")


def _incremental(incremental: s.Incremental, start_date: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "cursor_path": incremental.cursor_path,
        "initial_value": initial_value(incremental.format, start_date),
    }
    if incremental.start_param:
        config["start_param"] = incremental.start_param
    if incremental.param_format and incremental.param_format != incremental.format:
        config["convert"] = partial(convert, incremental.format, incremental.param_format)
    return config


def convert(source: s.CursorFormat, target: s.CursorFormat, value: Any) -> Any:
    """A cursor value written as ``source`` rewritten as ``target``."""
    if source in ("unix", "unix_ms"):
        seconds = int(value) / (1000 if source == "unix_ms" else 1)
        moment = datetime.fromtimestamp(seconds, UTC)
    else:
        moment = _parse(str(value))
    return written(target, moment)


def initial_value(kind: s.CursorFormat, start_date: str | None) -> str | int:
    """The first run's lower bound, written as the cursor's values are."""
    return written(kind, _parse(start_date or EPOCH))


def written(kind: s.CursorFormat, moment: datetime) -> str | int:
    """A moment written as a cursor of ``kind`` is."""
    if kind == "unix":
        return int(moment.timestamp())
    if kind == "unix_ms":
        return int(moment.timestamp() * 1000)
    if kind == "date":
        return moment.date().isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    text = text.strip().replace(" ", "T")
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

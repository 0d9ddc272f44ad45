"""The connector catalog as people see it: what each connector reads and how it is configured.

Public metadata (no tenant, no permission, nothing audited): the same for every caller.
"""

from typing import Any

from connectors.base import StreamSpec
from connectors.registry import get_connector, load_connectors
from governance.errors import AtsparkError


def list_connectors(category: str | None = None) -> list[dict[str, Any]]:
    """Every connector (of ``category``): name, title, category, auth kind and stream names."""
    connectors = load_connectors().values()
    if category is not None:
        known = sorted({connector.info.category for connector in connectors})
        if category not in known:
            raise AtsparkError(f"unknown category {category!r} (known: {', '.join(known)})")
    return [
        {
            "name": connector.name,
            "title": connector.info.title,
            "category": connector.info.category,
            "auth": connector.info.auth,
            "streams": [stream.name for stream in connector.streams()],
        }
        for connector in connectors
        if category is None or connector.info.category == category
    ]


def oauth_connectors() -> list[dict[str, Any]]:
    """The connectors whose connections a person authorizes at the vendor (OAuth 2.0), with
    the scopes they ask for by default."""
    found = []
    for connector in load_connectors().values():
        try:
            app = connector.oauth_app({})
        except AtsparkError:  # its OAuth endpoints need config first (a data centre, a domain)
            app = None
        if app is not None:
            found.append(
                {"name": connector.name, "title": connector.info.title, "scopes": list(app.scopes)}
            )
    return sorted(found, key=lambda item: item["title"].lower())


def describe_connector(name: str) -> dict[str, Any]:
    """One connector in full: its streams and its connection's JSON Schema."""
    connector = get_connector(name)
    info = connector.info
    return {
        "name": info.name,
        "title": info.title,
        "category": info.category,
        "auth": info.auth,
        "description": info.description,
        "docs_url": info.docs_url,
        "cadence": info.cadence,
        "streams": [_stream(stream) for stream in connector.streams()],
        "config": dict(info.config_schema),
    }


def _stream(stream: StreamSpec) -> dict[str, Any]:
    return {
        "name": stream.name,
        "endpoint": stream.endpoint,
        "primary_key": list(stream.key),
        "cursor": stream.cursor,
        "write_disposition": stream.write_disposition,
        "parent": stream.parent,
        "columns": dict(stream.columns),
    }

"""``DeclarativeConnector``: a connector made of a spec, alike to every caller to a Python one."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.base import ConnectionSpec, Connector, ConnectorInfo, StreamSpec
from connectors.config_schema import (
    BASE_URL,
    START_DATE,
    object_schema,
    secret,
    streams_field,
    with_defaults,
)
from connectors.declarative import spec as s
from connectors.egress import check_base_url, check_http_values
from connectors.oauth import OAuthApp, token_secret_fields
from governance.errors import AtsparkError

_HOST_PART = re.compile(r"[A-Za-z0-9._-]+")


class DeclarativeConnector(Connector):
    """A connector whose spec (``connectors/declarative/spec.py``) says everything; the engine
    runs it on ``dlt.sources.rest_api``."""

    def __init__(self, spec: s.ConnectorSpec) -> None:
        self.spec = spec
        super().__init__(
            ConnectorInfo(
                name=spec.name,
                title=spec.title,
                category=spec.category,
                auth=spec.auth.type,
                description=spec.description,
                docs_url=spec.docs_url,
                cadence=spec.cadence,
                config_schema=config_schema(spec),
                streams=tuple(_stream_spec(spec, stream) for stream in spec.streams),
            )
        )

    def validate(self, connection: ConnectionSpec) -> None:
        """The schema's rules, values fit for URLs and headers, then a base URL whose host the
        connector may reach."""
        super().validate(connection)
        check_http_values(self.name, connection.config, connection.secrets)
        for stream in self.spec.streams:
            for name in s.PLACEHOLDER.findall(stream.path):
                if name in connection.config:
                    path_segment(str(connection.config[name]))
        allowed = (*self.spec.allowed_hosts, *connection.runtime.egress_hosts)
        check_base_url(base_url(self.spec, connection.config), allowed, self.name)

    def oauth_app(self, config: Mapping[str, Any]) -> OAuthApp | None:
        """The spec's authorization-code app, when it names an ``authorize_url``."""
        auth = self.spec.auth
        if not isinstance(auth, s.OAuth2RefreshToken) or not auth.authorize_url:
            return None
        config = with_defaults(self.config_schema, config)
        app = OAuthApp(
            authorize_url=fill(auth.authorize_url, config, _host_part),
            token_url=fill(auth.token_url, config, _host_part),
            scopes=auth.scopes,
            allowed_hosts=self.spec.allowed_hosts,
        )
        given = config.get("base_url")
        return app.rebased(str(given)) if given and given != self.spec.base_url else app

    def simulator(
        self, seed: int, records: int | None, rate_limit_every: int, error_every: int
    ) -> Any:
        from connectors.sandbox.generic import Faults, create_app

        return create_app(self.spec, seed, Faults(rate_limit_every, error_every), records)

    def source(self, connection: ConnectionSpec):
        from connectors.declarative.engine import build_source

        return build_source(self.spec, connection)


def base_url(spec: s.ConnectorSpec, config: Mapping[str, Any]) -> str:
    """The connection's base URL: its ``base_url``, else the spec's with its fields filled."""
    given = config.get("base_url")
    if given:
        return str(given).rstrip("/")
    return fill(spec.base_url, config, _host_part).rstrip("/")


def _host_part(value: str) -> str:
    """A value filled into a base URL: letters, digits, dots, dashes and underscores only (a
    subdomain, a host, a region), so it can move neither the host nor the path."""
    if not _HOST_PART.fullmatch(value) or not value.strip("."):
        raise AtsparkError(
            "a field of the base URL takes letters, digits, '.', '-' and '_' only (a subdomain, "
            "host or region)"
        )
    return value


def path_segment(value: str) -> str:
    """A value filled into a path: one URL-quoted segment, never ``.`` or ``..``."""
    if not value.strip("."):
        raise AtsparkError("a field of a path cannot be '.' or '..'")
    return quote(value, safe="")


def fill(text: str, values: Mapping[str, Any], encode: Any = str) -> str:
    """``text`` with each ``{field}`` replaced by the connection's value, passed through
    ``encode`` (URL-quoting, for paths)."""

    def value(match: Any) -> str:
        name = match.group(1)
        if name not in values:
            raise AtsparkError(f"the connection needs {name!r}")
        return encode(str(values[name]))

    return s.PLACEHOLDER.sub(value, text)


def config_schema(spec: s.ConnectorSpec) -> dict[str, Any]:
    """The connection's fields: ``base_url``, ``streams``, ``start_date``, the auth's secrets and
    the spec's own. Fields only the base URL uses are required unless ``base_url`` is given."""
    declared = dict(spec.config.get("properties", {}))
    properties: dict[str, Any] = {
        "base_url": {**BASE_URL, **({} if "{" in spec.base_url else {"default": spec.base_url})},
        "streams": streams_field([stream.name for stream in spec.streams]),
    }
    if any(stream.incremental for stream in spec.streams):
        properties["start_date"] = START_DATE
    secrets = tuple(dict.fromkeys(s.auth_field_names(spec.auth)))
    for field in secrets:
        if field in declared and not declared[field].get("writeOnly"):
            continue  # declared as config: a username or account id, not a secret
        properties[field] = {
            **secret(f"{spec.title} {field.replace('_', ' ')}"),
            **declared.pop(field, {}),
        }
        properties[field]["writeOnly"] = True
    if isinstance(spec.auth, s.OAuth2RefreshToken):
        renewed = token_secret_fields(spec.title)
        properties.update({name: renewed[name] for name in renewed if name not in properties})
    properties.update(declared)
    in_base_url = set(s.PLACEHOLDER.findall(spec.base_url))
    in_paths = {name for stream in spec.streams for name in s.PLACEHOLDER.findall(stream.path)}
    only_base_url = in_base_url - in_paths
    required = (set(spec.config.get("required", ())) | set(secrets) | in_paths) - only_base_url
    required &= set(properties)
    schema = object_schema(properties, required)
    if only_base_url:
        schema["if"] = {"not": {"required": ["base_url"]}}
        schema["then"] = {"required": sorted(only_base_url)}
    return schema


def _stream_spec(spec: s.ConnectorSpec, stream: s.Stream) -> StreamSpec:
    return StreamSpec(
        stream.name,
        primary_key=stream.key_columns,
        cursor=stream.incremental.cursor_path if stream.incremental else None,
        write_disposition=stream.disposition,
        columns=stream.columns,
        endpoint=f"{stream.method} {stream.path}",
        parent=stream.parent.stream if stream.parent else None,
    )

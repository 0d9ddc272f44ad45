"""The declarative connector spec: what a YAML file in the catalog may say, checked on load.

A spec names its vendor's API as the vendor documents it: base URL, egress allow-list, auth,
the connection's fields (JSON Schema) and the streams, each with its path, parameters, record
selector, paginator (dlt's own paginator vocabulary), incremental cursor, primary key and
columns. :mod:`connectors.declarative.engine` compiles it into ``dlt.sources.rest_api``'s
configuration; :mod:`connectors.sandbox.generic` serves it. ``docs/connectors.md`` is the guide.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME = r"^[a-z][a-z0-9_]{0,62}$"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
CATEGORIES = (
    "billing",
    "crm",
    "accounting",
    "support",
    "marketing",
    "ads",
    "analytics",
    "hr",
    "ecommerce",
    "project_management",
    "engineering",
    "communication",
    "files",
    "other",
)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
ColumnType = Literal["text", "bigint", "double", "bool", "timestamp", "date", "json", "decimal"]
CursorFormat = Literal["iso8601", "unix", "unix_ms", "date"]
WriteDisposition = Literal["append", "merge", "replace"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- auth ---------------------------------------------------------------------------------------


class NoAuth(_Strict):
    type: Literal["none"]


class ApiKeyAuth(_Strict):
    """The key (secret field ``secret``) sent in header or query parameter ``name``."""

    type: Literal["api_key"]
    name: str = "Authorization"
    location: Literal["header", "query"] = "header"
    prefix: str = ""
    """Text before the key, such as ``Token token=``, ``Klaviyo-API-Key `` or ``GenieKey ``."""
    secret: str = "api_key"


class BearerAuth(_Strict):
    """``Authorization: <prefix><token>``; the prefix is ``Bearer `` unless the vendor's differs."""

    type: Literal["bearer"]
    prefix: str = "Bearer "
    secret: str = "api_key"


class BasicAuth(_Strict):
    """HTTP Basic; ``username`` and ``password`` are templates over the connection's fields."""

    type: Literal["basic"]
    username: str = "{api_key}"
    password: str = ""


class OAuth2ClientCredentials(_Strict):
    """Client-credentials grant at ``token_url``; fields ``client_id`` and ``client_secret``."""

    type: Literal["oauth2_client_credentials"]
    token_url: str
    scopes: tuple[str, ...] = ()
    prefix: str = "Bearer "


class OAuth2RefreshToken(_Strict):
    """Authorization-code connections: the stored refresh token (rotated when the vendor issues
    a new one, and persisted encrypted) buys access tokens at ``token_url``; fields
    ``client_id``, ``client_secret`` and ``refresh_token``."""

    type: Literal["oauth2_refresh_token"]
    token_url: str
    authorize_url: str | None = None
    scopes: tuple[str, ...] = ()
    prefix: str = "Bearer "
    """``Zoho-oauthtoken `` for Zoho."""


Auth = Annotated[
    NoAuth | ApiKeyAuth | BearerAuth | BasicAuth | OAuth2ClientCredentials | OAuth2RefreshToken,
    Field(discriminator="type"),
]


# ---- pagination (dlt's paginators, by dlt's names) ----------------------------------------------


class SinglePage(_Strict):
    type: Literal["single_page"]


class OffsetPaginator(_Strict):
    type: Literal["offset"]
    limit: int = Field(100, ge=1)
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: str | None = None
    has_more_path: str | None = None


class PageNumberPaginator(_Strict):
    type: Literal["page_number"]
    page_param: str = "page"
    base_page: int = 1
    page_size: int | None = Field(None, ge=1)
    page_size_param: str | None = None
    total_path: str | None = None
    """Where the body gives the number of pages."""
    has_more_path: str | None = None


class CursorPaginator(_Strict):
    """The body names the next page's cursor at ``cursor_path``; it is sent as ``cursor_param``."""

    type: Literal["cursor"]
    cursor_path: str
    cursor_param: str | None = None
    cursor_body_path: str | None = None
    """For POST APIs that take the cursor in the JSON body (Notion's ``start_cursor``)."""
    has_more_path: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> "CursorPaginator":
        if (self.cursor_param is None) == (self.cursor_body_path is None):
            raise ValueError("a cursor goes in cursor_param or in cursor_body_path: one of them")
        return self


class JsonLinkPaginator(_Strict):
    """The body holds the next page's URL at ``next_url_path``."""

    type: Literal["json_link"]
    next_url_path: str
    stop_after_empty_page: bool = False
    """End on a page without records even if it links to another."""


class HeaderLinkPaginator(_Strict):
    """RFC 8288 ``Link: <...>; rel="next"``."""

    type: Literal["header_link"]
    stop_after_empty_page: bool = False
    """End on a page without records even if it links to another."""


Paginator = Annotated[
    SinglePage
    | OffsetPaginator
    | PageNumberPaginator
    | CursorPaginator
    | JsonLinkPaginator
    | HeaderLinkPaginator,
    Field(discriminator="type"),
]


# ---- streams ------------------------------------------------------------------------------------


class Incremental(_Strict):
    """Ask only for records whose ``cursor_path`` moved past the last load's highest value."""

    cursor_path: str
    start_param: str | None = None
    """The query parameter that carries the last value; without one the filter is client-side."""
    format: CursorFormat = "iso8601"
    """How the cursor's values are written in records (and in ``start_param`` unless
    ``param_format`` says otherwise)."""
    param_format: CursorFormat | None = None
    """How ``start_param`` takes the value, when the API writes it unlike its records."""


class Parent(_Strict):
    """A child stream: one request per record of ``stream``, its ``field`` put in the path."""

    stream: str
    field: str = "id"
    param: str
    """The path placeholder that takes the parent's value: ``/projects/{project_id}/tasks``."""


class Stream(_Strict):
    name: str = Field(pattern=NAME)
    path: str
    description: str = ""
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str | int | float | bool] = {}
    json_body: dict[str, Any] | None = Field(None, alias="json")
    records: str | None = None
    """Where the records are in a response body: a JSON path (``data``, ``list[*].customer``);
    ``$`` when the body is the list itself. Default: the spec's ``defaults.records``, else ``$``."""
    paginator: Paginator | None = None
    primary_key: str | tuple[str, ...] | None = "id"
    write_disposition: WriteDisposition | None = None
    """Default: ``merge`` with a primary key, else ``append``."""
    incremental: Incremental | None = None
    parent: Parent | None = None
    end_statuses: tuple[int, ...] = ()
    """Statuses that mean "no more records" (BigCommerce's 204 after the last page)."""
    columns: dict[str, ColumnType] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def key_columns(self) -> tuple[str, ...]:
        key = self.primary_key
        return () if key is None else (key,) if isinstance(key, str) else tuple(key)

    @property
    def disposition(self) -> WriteDisposition:
        return self.write_disposition or ("merge" if self.key_columns else "append")

    @model_validator(mode="after")
    def _consistent(self) -> "Stream":
        for column in self.key_columns:
            if column not in self.columns:
                raise ValueError(f"primary key column {column!r} is not among the columns")
        if self.incremental and self.incremental.cursor_path not in self.columns:
            raise ValueError(f"cursor {self.incremental.cursor_path!r} is not among the columns")
        if self.disposition == "merge" and not self.key_columns:
            raise ValueError("merge needs a primary key")
        if self.disposition == "append" and not self.incremental:
            raise ValueError(
                "append without an incremental cursor loads every record again on each run: "
                "give a primary key (merge), an incremental cursor, or write_disposition replace"
            )
        if self.parent and self.incremental:
            raise ValueError(
                "a child stream cannot be incremental: its cursor would move across parents "
                "(dlt keeps one per stream), skipping the later parents' older changes"
            )
        if self.parent and self.parent.param not in PLACEHOLDER.findall(self.path):
            raise ValueError(f"path {self.path!r} has no {{{self.parent.param}}} for the parent")
        return self


class RateLimit(_Strict):
    requests_per_second: float = Field(gt=0)


class Retry(_Strict):
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_factor: float = Field(1.0, ge=0)
    max_delay: float = Field(60.0, gt=0)
    timeout: float = Field(60.0, gt=0)


class Defaults(_Strict):
    """Applied to every stream that does not say otherwise."""

    paginator: Paginator | None = None
    params: dict[str, str | int | float | bool] = {}
    records: str | None = None


def auth_field_names(auth: object) -> tuple[str, ...]:
    if isinstance(auth, ApiKeyAuth | BearerAuth):
        return (auth.secret,)
    if isinstance(auth, BasicAuth):
        return tuple(PLACEHOLDER.findall(auth.username + auth.password))
    if isinstance(auth, OAuth2ClientCredentials):
        return ("client_id", "client_secret")
    if isinstance(auth, OAuth2RefreshToken):
        return ("client_id", "client_secret", "refresh_token")
    return ()


def _is_root_list(records: str) -> bool:
    """Whether a record selector finds the records in a body that is itself a list."""
    path = records.removeprefix("$").removeprefix(".")
    return not path or path.startswith("[*]")


def _reads_body(paginator: object) -> bool:
    return isinstance(paginator, CursorPaginator | JsonLinkPaginator) or bool(
        getattr(paginator, "total_path", None) or getattr(paginator, "has_more_path", None)
    )


class ConnectorSpec(_Strict):
    name: str = Field(pattern=NAME)
    title: str
    category: Category
    docs_url: str = Field(pattern=r"^https://")
    description: str = ""
    base_url: str = Field(pattern=r"^https://")
    """The API's root; ``{field}`` placeholders take connection fields (``{site}``), as may
    ``headers``, ``params`` and an OAuth2 ``token_url``."""
    allowed_hosts: tuple[str, ...] = ()
    """The hosts requests may go to: names, or ``*.suffix`` for a vendor's subdomains. Empty
    for self-hosted tools (WooCommerce): an operator allows each host
    (``ATSPARK_EGRESS_ALLOWED_HOSTS``); a connection never names its own."""
    auth: Auth
    config: dict[str, Any] = {"type": "object", "properties": {}}
    """The connection's own fields as a JSON Schema object; secret fields ``writeOnly: true``."""
    headers: dict[str, str] = {}
    cadence: str = "0 * * * *"
    defaults: Defaults = Defaults()
    rate_limit: RateLimit | None = None
    retry: Retry = Retry()
    streams: tuple[Stream, ...] = Field(min_length=1)

    def children(self, parent: str) -> tuple[Stream, ...]:
        """The streams with one request per record of stream ``parent``."""
        return tuple(s for s in self.streams if s.parent and s.parent.stream == parent)

    @model_validator(mode="after")
    def _consistent(self) -> "ConnectorSpec":
        for host in self.allowed_hosts:
            if not re.fullmatch(r"(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?", host):
                raise ValueError(f"allowed host {host!r} is not a host name (or *.suffix)")
        names = [stream.name for stream in self.streams]
        if len(set(names)) != len(names):
            raise ValueError("stream names must be unique")
        by_name = {stream.name: stream for stream in self.streams}
        for stream in self.streams:
            parent = by_name.get(stream.parent.stream) if stream.parent else None
            if stream.parent and parent is None:
                raise ValueError(
                    f"stream {stream.name!r} has unknown parent {stream.parent.stream!r}"
                )
            if stream.parent and parent and stream.parent.field not in parent.columns:
                raise ValueError(
                    f"parent field {stream.parent.field!r} is not a column of {parent.name!r}"
                )
            paginator = stream.paginator or self.defaults.paginator
            if paginator is None:
                raise ValueError(f"stream {stream.name!r} has no paginator (single_page if none)")
            records = stream.records or self.defaults.records or "$"
            if _is_root_list(records) and _reads_body(paginator):
                raise ValueError(
                    f"stream {stream.name!r}: its body is the list of records, so its paginator "
                    "cannot read fields of the body"
                )
        fields = set(self.config.get("properties", {})) | set(auth_field_names(self.auth))
        parents = {s.parent.param for s in self.streams if s.parent}
        texts = [("base_url", self.base_url), *(("path", s.path) for s in self.streams)]
        texts += [("header", value) for value in self.headers.values()]
        texts += [
            ("param", str(value))
            for stream in self.streams
            for value in {**self.defaults.params, **stream.params}.values()
        ]
        texts += [("token_url", getattr(self.auth, "token_url", ""))]
        for place, text in texts:
            unknown = (
                set(PLACEHOLDER.findall(text)) - fields - (parents if place == "path" else set())
            )
            if unknown:
                raise ValueError(f"{place} {text!r} names unknown fields {sorted(unknown)}")
        return self

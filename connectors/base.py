"""The connector SDK: what a connector declares and what it hands to a pipeline.

A connector is an instance of :class:`Connector`: its :class:`ConnectorInfo` (name, category,
auth kind, the connection's fields as a JSON Schema, its streams) and a ``source()`` that makes
the dlt source of one connection. Declarative connectors (``connectors/declarative``) and Python
ones (``stripe``, ``files``, plugins) are alike to every caller. Source and table names belong to
the pipeline, which renames the source after the connection: a connector never picks them.

Importing this module is cheap (no dlt): listing connectors must answer at once.
"""

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from connectors import config_schema
from governance.errors import AtsparkError

if TYPE_CHECKING:
    from dlt.extract.source import DltSource

    from connectors.oauth import OAuthApp

WriteDisposition = Literal["append", "merge", "replace"]
AUTH_KINDS = (
    "none",
    "api_key",
    "bearer",
    "basic",
    "oauth2_client_credentials",
    "oauth2_refresh_token",
    "aws",
)


@dataclass(frozen=True)
class StreamSpec:
    """One stream of a connector; it lands as table ``<connection>_<stream>``.

    ``primary_key`` may name several columns (given as a string for one); ``columns`` maps each
    declared column to its dlt data type (``text``, ``bigint``, ``double``, ``bool``,
    ``timestamp``, ``date``, ``json``, ``decimal``); ``endpoint`` says where the stream comes
    from (an HTTP method and path), for people reading a catalog.
    """

    name: str
    primary_key: tuple[str, ...] | str | None = ("id",)
    cursor: str | None = None
    write_disposition: WriteDisposition | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    endpoint: str = ""
    parent: str | None = None

    def __post_init__(self) -> None:
        key = self.primary_key
        normalized = () if key is None else (key,) if isinstance(key, str) else tuple(key)
        object.__setattr__(self, "primary_key", normalized)
        if self.write_disposition is None:
            object.__setattr__(self, "write_disposition", "merge" if normalized else "append")
        if self.write_disposition == "merge" and not normalized:
            raise AtsparkError(f"stream {self.name!r} merges but has no primary key")

    @property
    def key(self) -> tuple[str, ...]:
        """The primary key's columns (empty when there is none)."""
        return self.primary_key  # type: ignore[return-value]


@dataclass(frozen=True)
class LocalFiles:
    """Where on this machine a connection may read files.

    Its own folder (``home``, the tenant's upload area: relative paths start there), and the
    ``roots`` an operator allows, except anything under ``off_limits`` (the platform's own state:
    keys, control plane, other tenants' uploads). Paths are compared resolved: links followed,
    ``..`` collapsed.
    """

    home: Path | None = None
    roots: tuple[Path, ...] = ()
    off_limits: tuple[Path, ...] = ()

    @property
    def folders(self) -> tuple[Path, ...]:
        """Every folder the connection may read in, its own first."""
        return (*((self.home,) if self.home else ()), *self.roots)

    def allows(self, resolved: str) -> bool:
        """Whether the resolved path ``resolved`` is one the connection may read."""
        if self.home is not None and _within(resolved, self.home):
            return True
        return any(_within(resolved, root) for root in self.roots) and not any(
            _within(resolved, place) for place in self.off_limits
        )


def _within(resolved: str, folder: Path) -> bool:
    real = os.path.realpath(folder)
    return os.path.commonpath([resolved, real]) == real


SecretsSaver = Callable[[Mapping[str, str]], None]


@dataclass(frozen=True)
class Runtime:
    """What the platform's settings tell a connector about where it runs."""

    local_files: LocalFiles = field(default_factory=LocalFiles)
    """Where it may read local files; by default nowhere."""
    aws_endpoint_url: str | None = None
    """An AWS-compatible server to use instead of AWS (``ATSPARK_AWS_ENDPOINT_URL``)."""
    egress_hosts: tuple[str, ...] = ()
    """Hosts every HTTP connector may reach besides its own ``allowed_hosts``
    (``ATSPARK_EGRESS_ALLOWED_HOSTS``: loopback by default, for sandboxes)."""
    save_secrets: SecretsSaver | None = field(default=None, compare=False)
    """Stores changed secrets of the connection (a rotated refresh token), encrypted."""


@dataclass(frozen=True)
class ConnectionSpec:
    """A connection as a connector sees it (secrets decrypted, in memory only)."""

    tenant: str
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    runtime: Runtime = field(default_factory=Runtime)


@dataclass(frozen=True)
class ConnectorInfo:
    """What a catalog shows of a connector, and what its connections may be configured with."""

    name: str
    category: str
    auth: str
    config_schema: Mapping[str, Any]
    """The connection's fields: a JSON Schema object; secret fields carry ``writeOnly: true``."""
    streams: tuple[StreamSpec, ...] = ()
    """Empty when the streams depend on the connection (``files``: one per file)."""
    title: str = ""
    description: str = ""
    docs_url: str = ""
    cadence: str = "0 * * * *"
    """Cron schedule on which Dagster ingests this connector's connections."""

    def __post_init__(self) -> None:
        if self.auth not in AUTH_KINDS:
            raise AtsparkError(f"connector {self.name!r}: unknown auth kind {self.auth!r}")


class Connector(ABC):
    """Base class of every connector, built in or plugged in through ``atspark.connectors``."""

    def __init__(self, info: ConnectorInfo) -> None:
        self.info = info

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info.name}>"

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def cadence(self) -> str:
        return self.info.cadence

    @property
    def config_schema(self) -> Mapping[str, Any]:
        return self.info.config_schema

    def streams(self) -> tuple[StreamSpec, ...]:
        """The streams known without a connection; empty when they depend on its config."""
        return self.info.streams

    @abstractmethod
    def source(self, connection: ConnectionSpec) -> "DltSource":
        """A dlt source with one resource per stream, each resource named after its stream."""

    def oauth_app(self, config: Mapping[str, Any]) -> "OAuthApp | None":
        """How a person authorizes a connection with ``config`` at the vendor (OAuth 2.0
        authorization code), or None when this connector's connections are not authorized so."""
        return None

    def simulator(
        self, seed: int, records: int | None, rate_limit_every: int, error_every: int
    ) -> Any | None:
        """An ASGI app simulating the vendor's API for ``atspark sandbox serve`` (its
        ``app.state.banner`` says how to connect to it), or None when there is none."""
        return None

    def parse_config(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Config as typed by a person (``KEY=VALUE`` text) converted to the schema's types."""
        return config_schema.coerce(self.config_schema, given)

    def validate(self, connection: ConnectionSpec) -> None:
        """Refuse a connection this connector cannot run, with a message naming what is wrong.

        The base checks config and secrets against the schema (no unknown field, secrets only as
        secrets, types, enums, required). Called when a connection is added and before each run;
        subclasses add their own rules after it.
        """
        config_schema.check(self.config_schema, connection.config, connection.secrets, self.name)

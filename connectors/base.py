"""The connector SDK: what a connector declares and what it hands to a pipeline."""

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from dlt.extract.source import DltSource

from governance.errors import AtsparkError


@dataclass(frozen=True)
class StreamSpec:
    """One stream of a connector; it lands as table ``<connection>_<stream>``."""

    name: str
    primary_key: str | None = "id"
    cursor: str | None = None


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


@dataclass(frozen=True)
class Runtime:
    """What the platform's settings tell a connector about where it runs."""

    local_files: LocalFiles = field(default_factory=LocalFiles)
    """Where it may read local files; by default nowhere."""
    aws_endpoint_url: str | None = None
    """An AWS-compatible server to use instead of AWS (``ATSPARK_AWS_ENDPOINT_URL``)."""


@dataclass(frozen=True)
class ConnectionSpec:
    """A connection as a connector sees it (secrets decrypted, in memory only)."""

    tenant: str
    name: str
    config: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    runtime: Runtime = field(default_factory=Runtime)


@dataclass(frozen=True)
class Field:
    """A configuration or secret field a connector accepts."""

    name: str
    help: str
    required: bool = False


class Connector(ABC):
    """Base class of every connector, built in or plugged in through ``atspark.connectors``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    cadence: ClassVar[str] = "0 * * * *"
    """Cron schedule on which Dagster ingests this connector's connections."""
    config_fields: ClassVar[tuple[Field, ...]] = ()
    secret_fields: ClassVar[tuple[Field, ...]] = ()

    @abstractmethod
    def streams(self) -> tuple[StreamSpec, ...]:
        """The streams known without a connection; empty when they depend on its config."""

    @abstractmethod
    def source(self, connection: ConnectionSpec) -> DltSource:
        """A dlt source with one resource per stream, each resource named after its stream."""

    def validate(self, connection: ConnectionSpec) -> None:
        """Refuse a connection this connector cannot run, with a message naming what is wrong.

        The base checks the fields: none unknown, none required missing. Called when a
        connection is added and again before each run.
        """
        _check_fields("config", self.config_fields, connection.config, self.name)
        _check_fields("secret", self.secret_fields, connection.secrets, self.name)


class HttpConnector(Connector, ABC):
    """A connector talking to an HTTP API; ``base_url`` points it at a sandbox or proxy."""

    default_base_url: ClassVar[str]
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field("base_url", "API base URL, for sandboxes, regional endpoints and proxies"),
    )

    @classmethod
    def base_url(cls, connection: ConnectionSpec) -> str:
        return connection.config.get("base_url", cls.default_base_url).rstrip("/")

    def validate(self, connection: ConnectionSpec) -> None:
        """The fields, and a ``base_url`` that is an http or https URL of a host."""
        super().validate(connection)
        given = connection.config.get("base_url")
        if given is not None:
            url = urlsplit(given.strip())
            if url.scheme not in ("http", "https") or not url.hostname:
                raise AtsparkError(
                    f"connector {self.name!r} needs a base_url like https://host[:port], "
                    f"not {given!r}"
                )


def _check_fields(
    kind: str, declared: tuple[Field, ...], given: Mapping[str, str], connector: str
) -> None:
    known = {f.name for f in declared}
    unknown = sorted(set(given) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise AtsparkError(
            f"connector {connector!r} has no {kind} field {', '.join(unknown)} (allowed: {allowed})"
        )
    missing = [f.name for f in declared if f.required and not given.get(f.name)]
    if missing:
        raise AtsparkError(f"connector {connector!r} needs {kind} {', '.join(missing)}")

"""The one settings object, read from the environment once and handed down.

Every field ``x`` is read from ``ATSPARK_X``. A plain frozen dataclass: every ``atspark`` command
reads the settings, and pydantic would add a twentieth of a second to each one. Values given as
text (from the environment, or in code) are converted and checked when the object is built; a bad
one raises ``SettingsError`` naming its variable.
"""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from governance.anomalies.model import Thresholds
from governance.errors import AtsparkError

ENV_PREFIX = "ATSPARK_"
DEFAULT_HOME = Path(".atspark")
TENANT_PLACEHOLDER = "{tenant}"


class SettingsError(AtsparkError):
    """A setting has a value the platform cannot use."""


@dataclass(frozen=True)
class Settings:
    """Platform configuration (environment variables prefixed ``ATSPARK_``)."""

    home: Path = DEFAULT_HOME
    """State directory."""
    database_url: str | None = None
    """Control-plane SQLAlchemy URL; SQLite under home when unset."""
    kms: str = "local"
    """'local' or 'aws:<key id, ARN or alias>'."""
    aws_endpoint_url: str | None = None
    """A local AWS-compatible server (KMS and the files connector's S3)."""
    aws_region: str = "us-east-1"
    warehouse: str = "duckdb"
    """Warehouse backend; only 'duckdb' until BigQuery arrives with its issue."""
    data_key_cache_seconds: float = 300.0
    data_key_cache_uses: int = 1_000_000
    files_roots: tuple[Path, ...] = ()
    """Local directories ``files`` connections may read besides the tenant's upload area
    (``os.pathsep``-separated in the environment; ``{tenant}`` in one stands for the slug)."""
    session_idle_seconds: int = 30 * 60
    """A serving-app session ends after this long without a request."""
    session_absolute_seconds: int = 12 * 60 * 60
    """A serving-app session ends this long after sign-in, however busy."""
    smtp_url: str | None = None
    """``smtp://[user:password@]host[:port]`` (``smtps://`` for TLS); unset: the local outbox."""
    audit_retention_days: int = 30
    """Audit events older than this are purged (the remaining chain still verifies)."""
    egress_allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    """Hosts every HTTP connector may reach besides its own ``allowed_hosts`` (comma-separated;
    ``*.suffix`` for subdomains). Loopback by default, for sandboxes; empty it in production."""
    public_url: str | None = None
    """The serving app's address as people's browsers reach it (``https://data.example.com``):
    OAuth callbacks come back to ``<public_url>/oauth/callback``. Unset: the address each request
    came to (fine for one machine; behind a proxy, set it)."""
    llm_provider: str = "offline"
    """AI Assist's model: 'offline' (the metric catalog's engine, no network) or 'openai' (any
    OpenAI-compatible server)."""
    llm_base_url: str | None = None
    """The OpenAI-compatible server (``http://127.0.0.1:8000/v1``); unset: OpenAI's."""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = field(default=None, repr=False)
    """The model server's key; unset: ``OPENAI_API_KEY``."""
    llm_timeout_seconds: float = 30.0
    anomaly_thresholds: Thresholds = field(default_factory=Thresholds)
    """What the anomaly detectors count as unusual: ``name=value,...`` over the defaults
    (``signin_failures_per_account=5,bulk_read_factor=20``; see ``Thresholds``)."""
    backup_url: str | None = None
    """Where backups are kept: ``file:///PATH`` or ``s3://BUCKET/PREFIX`` (versioning, and Object
    Lock in compliance mode where the bucket has it); unset: ``backups`` under home."""

    def __post_init__(self) -> None:
        for name, convert in _CONVERTERS.items():
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, convert(value))
            except (TypeError, ValueError) as error:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} {error}") from None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """The settings the ``ATSPARK_<FIELD>`` variables give; unset fields keep defaults."""
        given = {
            field.name: environ[variable]
            for field in fields(cls)
            if (variable := ENV_PREFIX + field.name.upper()) in environ
        }
        if "llm_api_key" not in given and environ.get("OPENAI_API_KEY"):
            given["llm_api_key"] = environ["OPENAI_API_KEY"]
        return cls(**given)

    @property
    def control_plane_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.resolve() / 'control.db'}"

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def warehouses_dir(self) -> Path:
        return self.home / "warehouses"

    def upload_dir(self, tenant: str) -> Path:
        """The tenant's upload area: files put here are what its ``files`` connections read
        unless an operator allows more folders (``files_roots``)."""
        return self.home / "uploads" / tenant

    @property
    def outbox_dir(self) -> Path:
        """Where mail goes as ``.eml`` files when no SMTP server is configured."""
        return self.home / "outbox"

    @property
    def runs_dir(self) -> Path:
        """Scratch space for in-flight ingestion runs; emptied when each run ends."""
        return self.home / "runs"

    def files_roots_of(self, tenant: str) -> tuple[Path, ...]:
        """``files_roots`` for ``tenant``: ``{tenant}`` replaced by its slug."""
        return tuple(
            Path(str(root).replace(TENANT_PLACEHOLDER, tenant)) for root in self.files_roots
        )


def _optional_text(value: Any) -> str | None:
    """Unset and empty both mean None."""
    if value is None:
        return None
    return str(value).strip() or None


def _kms(value: Any) -> str:
    value = str(value).strip()
    if value == "local" or (value.startswith("aws:") and len(value) > len("aws:")):
        return value
    raise ValueError(f"must be 'local' or 'aws:<key id, ARN or alias>', not {value!r}")


def _llm_provider(value: Any) -> str:
    value = str(value).strip()
    if value in ("offline", "openai"):
        return value
    raise ValueError(f"must be 'offline' or 'openai', not {value!r}")


def _optional_url(pattern: str, form: str) -> Callable[[Any], str | None]:
    """A converter of an optional URL matching ``pattern``; a bad one is refused saying the
    ``form`` it must have, never echoing the value (it may hold a password)."""

    def convert(value: Any) -> str | None:
        url = _optional_text(value)
        if url is not None and not re.fullmatch(pattern, url):
            raise ValueError(form)
        return url

    return convert


def _warehouse(value: Any) -> str:
    if value == "duckdb":
        return value
    raise ValueError(f"must be 'duckdb' (the only warehouse backend available), not {value!r}")


def _at_least(kind: type, minimum: float) -> Callable[[Any], Any]:
    """A converter to ``kind`` of plain decimal numbers (``300``, ``0.5``) from ``minimum`` up."""

    def convert(value: Any) -> Any:
        text = str(value).strip()
        if not _DECIMAL[kind].fullmatch(text) or kind(text) < minimum:
            raise ValueError(f"must be a {_NUMBER[kind]} of at least {minimum:g}, not {value!r}")
        return kind(text)

    return convert


_DECIMAL = {int: re.compile(r"[0-9]+"), float: re.compile(r"[0-9]+(?:\.[0-9]+)?")}
_NUMBER = {int: "whole number", float: "number"}


def _home(value: Any) -> Path:
    """The state directory; empty means the default, never the working directory itself."""
    return Path(str(value).strip() or DEFAULT_HOME).expanduser()


def _database_url(value: Any) -> str | None:
    url = _optional_text(value)
    if url is not None and url.startswith("sqlite") and ":memory:" in url:
        raise ValueError("must name a database that persists, not an in-memory SQLite one")
    return url


def _paths(value: Any) -> tuple[Path, ...]:
    parts = value.split(os.pathsep) if isinstance(value, str) else value
    given = [str(part).strip() for part in parts if str(part).strip()]
    roots = tuple(Path(part).expanduser() for part in given)
    for text, root in zip(given, roots, strict=True):
        if not root.is_absolute() or ".." in root.parts:
            raise ValueError(f"must list absolute directories without '..', not {text!r}")
    return roots


def _public_url(value: Any) -> str | None:
    url = _optional_text(value)
    if url is not None and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[\w.~/-]*)?", url):
        raise ValueError(f"must be an http(s) address like https://data.example.com, not {url!r}")
    return url and url.rstrip("/")


def _host_list(value: Any) -> tuple[str, ...]:
    given = value.split(",") if isinstance(value, str) else list(value)
    hosts = tuple(part.strip().lower() for part in given if part.strip())
    for host in hosts:
        if not re.fullmatch(r"(\*\.)?[a-z0-9.:\-\[\]]+", host):
            raise ValueError(f"must list host names, not {host!r}")
    return hosts


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "home": _home,
    "database_url": _database_url,
    "kms": _kms,
    "aws_endpoint_url": _optional_text,
    "aws_region": str,
    "warehouse": _warehouse,
    "data_key_cache_seconds": _at_least(float, 1),
    "data_key_cache_uses": _at_least(int, 1),
    "files_roots": _paths,
    "session_idle_seconds": _at_least(int, 1),
    "session_absolute_seconds": _at_least(int, 1),
    "smtp_url": _optional_url(
        r"smtps?://[^/?#]+", "must look like smtp://[user:password@]host[:port] or smtps://..."
    ),
    "public_url": _public_url,
    "audit_retention_days": _at_least(int, 1),
    "egress_allowed_hosts": _host_list,
    "llm_provider": _llm_provider,
    "llm_base_url": _optional_url(
        r"https?://[^\s/?#]+(/[^\s?#]*)?",
        "must be an http(s) address like http://127.0.0.1:8000/v1",
    ),
    "llm_model": lambda value: _optional_text(value) or "gpt-4o-mini",
    "llm_api_key": _optional_text,
    "llm_timeout_seconds": _at_least(float, 0.1),
    "backup_url": _optional_url(
        r"(?i:file:///|s3://)\S+", "must be file:///PATH or s3://BUCKET/PREFIX"
    ),
    "anomaly_thresholds": lambda value: (
        value if isinstance(value, Thresholds) else Thresholds.parse(str(value))
    ),
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_environment()

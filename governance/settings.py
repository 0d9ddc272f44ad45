"""The one settings object, read from the environment once and handed down.

Every field ``x`` is read from ``ATSPARK_X``. A plain frozen dataclass: every ``atspark`` command
reads the settings, and pydantic would add a twentieth of a second to each one. Values given as
text (from the environment, or in code) are converted and checked when the object is built; a bad
one raises ``SettingsError`` naming its variable.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from governance.errors import AtsparkError

ENV_PREFIX = "ATSPARK_"
TENANT_PLACEHOLDER = "{tenant}"


class SettingsError(AtsparkError):
    """A setting has a value the platform cannot use."""


@dataclass(frozen=True)
class Settings:
    """Platform configuration (environment variables prefixed ``ATSPARK_``)."""

    home: Path = Path(".atspark")
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
    def runs_dir(self) -> Path:
        """Scratch space for in-flight ingestion runs; emptied when each run ends."""
        return self.home / "runs"

    def file_roots(self, tenant: str) -> tuple[Path, ...]:
        """The local directories a ``files`` connection of ``tenant`` may read: its upload
        area first (relative paths are taken from there), then ``files_roots``."""
        configured = (
            Path(str(root).replace(TENANT_PLACEHOLDER, tenant)) for root in self.files_roots
        )
        return (self.upload_dir(tenant), *configured)


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


def _warehouse(value: Any) -> str:
    if value == "duckdb":
        return value
    raise ValueError(f"must be 'duckdb' (the only warehouse backend available), not {value!r}")


def _positive(kind: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a positive {kind.__name__}, not {value!r}") from None
        if number <= 0:
            raise ValueError(f"must be a positive {kind.__name__}, not {value!r}")
        return number

    return convert


def _paths(value: Any) -> tuple[Path, ...]:
    parts = value.split(os.pathsep) if isinstance(value, str) else value
    roots = tuple(Path(part).expanduser() for part in map(str, parts) if part.strip())
    relative = [str(root) for root in roots if not root.is_absolute()]
    if relative:
        raise ValueError(f"must list absolute directories, not {', '.join(relative)}")
    return roots


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "home": lambda value: Path(value).expanduser(),
    "database_url": _optional_text,
    "kms": _kms,
    "aws_endpoint_url": _optional_text,
    "aws_region": str,
    "warehouse": _warehouse,
    "data_key_cache_seconds": _positive(float),
    "data_key_cache_uses": _positive(int),
    "files_roots": _paths,
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_environment()

"""The one settings object, read from the environment once and handed down."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Platform configuration (environment variables prefixed ``ATSPARK_``)."""

    model_config = SettingsConfigDict(env_prefix="ATSPARK_", extra="ignore")

    home: Path = Field(default=Path(".atspark"), description="State directory.")
    database_url: str | None = Field(
        default=None, description="Control-plane SQLAlchemy URL; SQLite under home when unset."
    )
    kms: str = Field(default="local", description="'local' or 'aws:<key id, ARN or alias>'.")
    aws_endpoint_url: str | None = Field(default=None, description="Local AWS-compatible server.")
    aws_region: str = "us-east-1"
    warehouse: Literal["duckdb", "bigquery"] = "duckdb"
    data_key_cache_seconds: float = Field(default=300.0, gt=0)
    data_key_cache_uses: int = Field(default=1_000_000, gt=0)
    snapshot_retention_days: float = Field(default=7.0, gt=0)

    @field_validator("kms")
    @classmethod
    def _known_kms(cls, value: str) -> str:
        if value == "local" or (value.startswith("aws:") and len(value) > len("aws:")):
            return value
        raise ValueError("must be 'local' or 'aws:<key id, ARN or alias>'")

    @property
    def control_plane_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.resolve() / 'control.db'}"

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def warehouses_dir(self) -> Path:
        return self.home / "warehouses"

    @property
    def runs_dir(self) -> Path:
        """Scratch space for in-flight ingestion runs; emptied when each run ends."""
        return self.home / "runs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()

"""Fixtures for the Dagster definitions: a real control plane, a real Dagster instance on disk."""

from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions

from assets.definitions import build_definitions
from governance.platform import Platform


@pytest.fixture
def instance(tmp_path: Path):
    """A persistent (SQLite) Dagster instance: sensors and schedules refuse ephemeral ones."""
    home = tmp_path / "dagster"
    home.mkdir()
    no_telemetry = {"telemetry": {"enabled": False}}
    with DagsterInstance.local_temp(str(home), overrides=no_telemetry) as instance:
        yield instance


@pytest.fixture
def defs(platform: Platform) -> Definitions:
    """The registered connectors' definitions, bound to this test's platform."""
    return build_definitions(platform_factory=lambda: platform)

"""Shared fixtures: an isolated ATSPARK_HOME per test; SQLite and PostgreSQL control planes."""

import pytest

from governance.settings import Settings

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.platform"]


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings with a fresh home; the environment carries it so subprocesses (the CLI) agree."""
    home = tmp_path / "home"
    monkeypatch.setenv("ATSPARK_HOME", str(home))
    for name in ("ATSPARK_DATABASE_URL", "ATSPARK_KMS", "ATSPARK_AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return Settings(home=home)

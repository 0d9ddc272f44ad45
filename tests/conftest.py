"""Shared fixtures: an isolated ATSPARK_HOME per test; SQLite and PostgreSQL control planes."""

import os

import pytest

from governance.settings import ENV_PREFIX, Settings
from tests.hypothesis_setup import SEED_VARIABLE, choose_seed

pytest_plugins = [
    "connectors.conformance",
    "tests.fixtures.services",
    "tests.fixtures.platform",
    "tests.fixtures.web",
]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SEED_KEY] = choose_seed(config.getoption("hypothesis_seed"))


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[SEED_KEY]
    return f"hypothesis seed {seed} (replay: {SEED_VARIABLE}={seed} make test)"


SEED_KEY = pytest.StashKey[int]()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings with a fresh home, where ``files`` connections may read anything under the
    test's ``tmp_path``; the environment carries both, so subprocesses (the CLI) agree."""
    for name in os.environ:
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("ATSPARK_HOME", str(home))
    monkeypatch.setenv("ATSPARK_FILES_ROOTS", str(tmp_path))
    return Settings.from_environment()

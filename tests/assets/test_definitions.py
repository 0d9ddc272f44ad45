"""The one Definitions object: its shape, and that Dagster's own loaders accept it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, Definitions, DynamicPartitionsDefinition

from assets.checks import ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK
from assets.definitions import build_definitions
from connectors.base import ConnectionSpec, Connector, ConnectorInfo, StreamSpec
from connectors.config_schema import object_schema
from governance.errors import AtsparkError

REPO = Path(__file__).resolve().parents[2]
STRIPE_STREAMS = {
    "customers", "subscriptions", "invoices", "invoice_items", "charges", "refunds", "prices",
    "products", "balance_transactions", "disputes", "payouts",
}  # fmt: skip


class Tiny(Connector):
    def __init__(self) -> None:
        super().__init__(
            ConnectorInfo(
                name="tiny-crm",
                category="crm",
                auth="none",
                config_schema=object_schema({}),
                cadence="*/15 * * * *",
                streams=(StreamSpec("contacts"), StreamSpec("deals", cursor="updated_at")),
            )
        )

    def source(self, connection: ConnectionSpec):
        raise NotImplementedError


def test_module_defs_resolve_and_validate():
    from assets.definitions import defs

    Definitions.validate_loadable(defs)
    keys = {spec.key for spec in defs.resolve_all_asset_specs()}
    stripe = {AssetKey(["stripe", stream]) for stream in STRIPE_STREAMS}
    assert stripe | {AssetKey(["files", "tables"])} <= keys


def test_every_catalog_connector_appears_in_dagster_without_code():
    from assets.definitions import defs
    from assets.partitions import dagster_name
    from connectors.registry import load_connectors

    keys = {spec.key for spec in defs.resolve_all_asset_specs()}
    for connector in load_connectors().values():
        for stream in connector.streams():
            assert AssetKey([dagster_name(connector.name), dagster_name(stream.name)]) in keys


PLATFORM_ASSETS = {AssetKey(["backups"])}


def connector_specs(defs: Definitions) -> list:
    """The asset specs of the connectors' streams (the platform's own, ``backups``, aside)."""
    return [s for s in defs.resolve_all_asset_specs() if s.key not in PLATFORM_ASSETS]


def test_each_connector_has_one_dynamic_partitions_and_a_group(defs):
    for spec in connector_specs(defs):
        connector = spec.key.path[0]
        assert spec.group_name == connector
        assert isinstance(spec.partitions_def, DynamicPartitionsDefinition)
        assert spec.partitions_def.name == f"{connector}_connections"


def test_every_asset_carries_the_row_count_and_schema_drift_checks(defs):
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    for spec in connector_specs(defs):
        assert (spec.key, ROW_COUNT_CHECK) in checks
        assert (spec.key, SCHEMA_DRIFT_CHECK) in checks


def test_a_job_and_a_schedule_per_connector_on_its_cadence(defs):
    assert defs.resolve_job_def("stripe_ingest").partitions_def.name == "stripe_connections"
    schedule = defs.resolve_schedule_def("stripe_schedule")
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.job_name == "stripe_ingest"
    assert schedule.default_status.value == "RUNNING"


def test_plugged_in_connectors_get_names_dagster_accepts(platform):
    defs = build_definitions({"tiny-crm": Tiny()}, lambda: platform)
    Definitions.validate_loadable(defs)
    assert {s.key for s in connector_specs(defs)} == {
        AssetKey(["tiny_crm", "contacts"]),
        AssetKey(["tiny_crm", "deals"]),
    }
    assert defs.resolve_schedule_def("tiny_crm_schedule").cron_schedule == "*/15 * * * *"


def test_connectors_whose_dagster_names_clash_are_refused(platform):
    class Other(Tiny):
        name = "tiny_crm"

    with pytest.raises(AtsparkError, match="same Dagster name"):
        build_definitions({"tiny-crm": Tiny(), "tiny_crm": Other()}, lambda: platform)


def test_building_the_definitions_touches_no_state(tmp_path, monkeypatch):
    home = tmp_path / "never"
    monkeypatch.setenv("ATSPARK_HOME", str(home))
    build_definitions()
    assert not home.exists()


def test_dagster_yaml_is_a_valid_instance_config_keeping_state_in_dagster_home(
    tmp_path, monkeypatch
):
    home = tmp_path / "atspark" / "dagster"
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("files_connections", ["acme.shop"])
        assert instance.get_dynamic_partitions("files_connections") == ["acme.shop"]
        assert instance.get_settings("telemetry") == {"enabled": False}
    assert (home / "history" / "runs.db").exists()
    assert (home / "schedules" / "schedules.db").exists()


def test_workspace_loads_the_one_definitions(tmp_path):
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["python_module"]["module_name"] == "assets.definitions"
    assert entry["python_module"]["attribute"] == "defs"

    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "ATSPARK_HOME": str(tmp_path / "a")}
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "Validation successful for code location atspark" in completed.stdout + completed.stderr
    assert not (tmp_path / "a").exists(), "loading the code location must not create state"

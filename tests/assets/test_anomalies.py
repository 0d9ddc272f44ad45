"""The anomalies sensor: each new finding becomes a run of ``anomaly_finding`` with its metadata."""

from dataclasses import replace

import pytest
from dagster import SkipReason, build_sensor_context

from governance.anomalies.model import Thresholds
from services import connections, tenants


@pytest.fixture
def settings(settings):
    return replace(settings, anomaly_thresholds=Thresholds(signin_failures_per_account=3))


def tick(defs, instance):
    sensor = defs.resolve_sensor_def("anomalies_sensor")
    resources = defs.get_repository_def().get_top_level_resources()
    with build_sensor_context(instance=instance, resources=resources) as context:
        return sensor(context)


def test_a_new_finding_is_one_run_with_the_finding_as_metadata(defs, instance, operator):
    tenants.create_tenant(operator, "acme")
    upload = operator.platform.settings.upload_dir("acme") / "crm.csv"
    upload.write_text("id,name\n1,a\n")
    connections.add_connection(
        operator, "acme", "files", {"path": "crm.csv", "primary_key": "id"}, {}, "crm"
    )
    [request] = tick(defs, instance)
    assert request.tags == {"atspark/tenant": "acme", "atspark/detector": "connection_changes"}
    result = defs.resolve_job_def("anomaly_finding").execute_in_process(
        run_config=request.run_config, instance=instance
    )
    assert result.success
    [materialized] = [
        event for event in result.all_events if event.event_type_value == "STEP_OUTPUT"
    ]
    metadata = materialized.event_specific_data.metadata
    assert metadata["subject"].value == "crm" and metadata["severity"].value
    assert isinstance(tick(defs, instance), SkipReason)  # raised once


def test_a_quiet_trail_is_a_skip(defs, instance, operator):
    tenants.create_tenant(operator, "acme")
    assert isinstance(tick(defs, instance), SkipReason)

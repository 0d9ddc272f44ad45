"""Backups in Dagster: a run per publish, a restore check that fails on damage, a daily prune."""

from dagster import SkipReason, build_sensor_context

from governance import audit
from services import tenants
from tests.fixtures.platform import tenant_with_deals


def tick(defs, instance):
    sensor = defs.resolve_sensor_def("backup_after_publish")
    resources = defs.get_repository_def().get_top_level_resources()
    with build_sensor_context(instance=instance, resources=resources) as context:
        return sensor(context)


def back_up(defs, instance):
    [request] = tick(defs, instance)
    result = defs.resolve_job_def("backup").execute_in_process(
        run_config=request.run_config, instance=instance
    )
    assert result.success
    return request, result


def check_result(defs, instance):
    result = defs.resolve_job_def("verify_backups").execute_in_process(
        instance=instance, raise_on_error=False
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_each_publish_is_backed_up_by_one_run_with_its_metadata(defs, instance, operator):
    tenant_with_deals(operator)
    request, result = back_up(defs, instance)
    assert request.tags == {"atspark/tenant": "acme"} and request.run_key.startswith("acme:")
    [materialization] = result.asset_materializations_for_node("backups")
    assert materialization.metadata["snapshots"].value == 2
    assert isinstance(tick(defs, instance), SkipReason)


def test_the_restore_check_passes_and_fails_on_a_damaged_object(defs, instance, operator, settings):
    tenant_with_deals(operator)
    back_up(defs, instance)
    assert check_result(defs, instance).passed
    damaged = sorted((settings.home / "backups").rglob("snapshots/*"))[-1]
    damaged.write_bytes(damaged.read_bytes()[:-1])
    evaluation = check_result(defs, instance)
    assert not evaluation.passed and "acme" in evaluation.metadata["problems"].value
    acme = tenants.get_tenant(operator, "acme").id
    with operator.platform.control_plane.session() as session:
        [event] = audit.events(session, acme, action="backup.check", newest_first=True, limit=1)
    assert event.outcome == "failed"


def test_the_daily_prune_runs_with_its_metadata(defs, instance, operator):
    tenant_with_deals(operator)
    result = defs.resolve_job_def("backup_prune").execute_in_process(instance=instance)
    assert result.success
    assert defs.resolve_schedule_def("backup_prune_schedule").default_status.value == "RUNNING"

"""Each connector's schedule requests one run per current partition of that connector."""

from datetime import UTC, datetime

from dagster import SkipReason, build_schedule_context

from assets.schedules import CONNECTOR_TAG, TENANT_TAG

TICK = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)


def evaluate(defs, instance, name="files_schedule", when=TICK):
    schedule = defs.resolve_schedule_def(name)
    with build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        return schedule(context)


def test_one_run_request_per_partition_keyed_by_the_tick(defs, instance):
    keys = ["acme.shop", "acme.archive", "globex.shop"]
    instance.add_dynamic_partitions("files_connections", keys)
    instance.add_dynamic_partitions("stripe_connections", ["acme.billing"])

    requests = evaluate(defs, instance)

    assert sorted(r.partition_key for r in requests) == sorted(keys)
    assert {r.run_key for r in requests} == {f"{k}@{TICK.isoformat()}" for k in keys}
    by_key = {r.partition_key: r for r in requests}
    assert by_key["globex.shop"].tags[TENANT_TAG] == "globex"
    assert by_key["globex.shop"].tags[CONNECTOR_TAG] == "files"

    later = evaluate(defs, instance, when=TICK.replace(hour=15))
    assert not {r.run_key for r in later} & {r.run_key for r in requests}


def test_a_connector_without_connections_skips(defs, instance):
    assert isinstance(evaluate(defs, instance, "stripe_schedule"), SkipReason)

"""Benchmark: Dagster definitions at 150 connectors and 1,000 tenants.

Builds the definitions with synthetic connectors (a tiny ``Connector`` with a few streams each),
adds every tenant's connection of every connector as a partition to a temporary Dagster instance,
and prints one JSON line per measurement: ``{"metric": ..., "value": ..., "target": ...}``.

The headline number, ``load_build_resolve_s`` (target < 3 s), is measured from a cold interpreter:
importing ``assets.definitions`` (which builds the registered connectors' ``defs``), building the
150-connector definitions and resolving their repository (asset graph, jobs, schedules, sensor).
``dagster definitions validate`` wall times are informational: they are mostly CLI start-up.

    .venv/bin/python -m bench.bench_dagster [--connectors 150] [--streams 5] [--tenants 1000]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import emit

REPO = Path(__file__).resolve().parents[1]
LOAD_TARGET_S = "< 3"


def synthetic_connectors(count: int, streams: int) -> dict:
    """``count`` connectors named ``synthetic_000``... with ``streams`` streams each."""
    import dlt

    from connectors.base import Connector, ConnectorInfo, StreamSpec

    class SyntheticConnector(Connector):
        """A connector with fixed streams and a few rows per stream."""

        def __init__(self, name: str, stream_count: int) -> None:
            streams = tuple(StreamSpec(f"stream_{i}") for i in range(stream_count))
            super().__init__(ConnectorInfo(name, "other", "none", {"type": "object"}, streams))

        def source(self, connection):
            resources = [
                dlt.resource([{"id": i} for i in range(3)], name=s.name, primary_key="id")
                for s in self.streams()
            ]
            return dlt.source(name=connection.name)(lambda: resources)()

    return {
        f"synthetic_{i:03d}": SyntheticConnector(f"synthetic_{i:03d}", streams)
        for i in range(count)
    }


def synthetic_definitions(connectors: int = 150, streams: int = 5):
    """The definitions of ``connectors`` synthetic connectors; the platform is never built."""
    from assets.definitions import build_definitions

    def no_platform():
        raise RuntimeError("the benchmark runs nothing that needs the platform")

    return build_definitions(synthetic_connectors(connectors, streams), no_platform)


def resolve(defs) -> dict[str, int]:
    """What a code server does on load: the repository, its asset graph and every job."""
    repository = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    jobs = defs.resolve_all_job_defs()
    return {
        "assets": len(graph.get_all_asset_keys()),
        "checks": len(graph.asset_check_keys),
        "jobs": len(jobs),
        "schedules": len(repository.schedule_defs),
        "sensors": len(repository.sensor_defs),
    }


def cli_validate(args: list[str], env: dict[str, str]) -> float:
    dagster = Path(sys.executable).parent / "dagster"
    started = time.perf_counter()
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"dagster definitions validate {' '.join(args)} failed")
    return elapsed


def sensor_and_schedule(
    defs, instance, connectors: list[str], tenants: list[str], connection: str, prefix: str = ""
) -> None:
    """Time the partitions sensor's diff when every connection has its partition (each tenant
    with a connection of each connector, named ``connection``, else after its connector), and
    a schedule tick of the first connector."""
    from dagster import build_schedule_context

    from assets.partitions import partitions_name
    from assets.sensors import partition_changes
    from governance.tenancy import ConnectionInfo

    now = datetime.now(UTC)
    connections = [
        ConnectionInfo(tenant, connection or connector, connector, {}, [], now)
        for tenant in tenants
        for connector in connectors
    ]
    partitions = {name: partitions_name(name) for name in connectors}
    started = time.perf_counter()
    requests = partition_changes(connections, partitions, instance.get_dynamic_partitions)
    assert requests == [], "every connection already has its partition"
    emit(
        f"{prefix}sensor_diff_in_sync_s",
        time.perf_counter() - started,
        connections=len(connections),
    )

    schedule = defs.resolve_schedule_def(f"{connectors[0]}_schedule")
    started = time.perf_counter()
    with build_schedule_context(instance=instance, scheduled_execution_time=now) as ctx:
        run_requests = schedule(ctx)
    emit(f"{prefix}schedule_tick_s", time.perf_counter() - started, run_requests=len(run_requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=150)
    parser.add_argument("--streams", type=int, default=5)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--skip-cli", action="store_true", help="skip the CLI measurements")
    options = parser.parse_args()

    # 1. Cold load: nothing of Dagster or ours is imported before this point.
    started = time.perf_counter()
    import assets.definitions  # noqa: F401  (builds the registered connectors' defs)

    imported = time.perf_counter()
    defs = synthetic_definitions(options.connectors, options.streams)
    built = time.perf_counter()
    counts = resolve(defs)
    resolved = time.perf_counter()
    emit("import_definitions_module_s", imported - started)
    emit("build_definitions_s", built - imported, connectors=options.connectors)
    emit("resolve_repository_s", resolved - built, **counts)
    emit("load_build_resolve_s", resolved - started, LOAD_TARGET_S)

    # 2. Partitions: every tenant has a connection of every connector.
    from dagster import DagsterInstance

    from assets.partitions import partition_key, partitions_name

    scratch = Path(tempfile.mkdtemp(prefix="bench_dagster_"))
    try:
        dagster_home = scratch / "dagster"
        dagster_home.mkdir()
        shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
        connectors = sorted(synthetic_connectors(options.connectors, 1))
        tenants = [f"t{i:04d}" for i in range(options.tenants)]
        keys = [partition_key(tenant, "main") for tenant in tenants]
        with DagsterInstance.local_temp(str(dagster_home)) as instance:
            started = time.perf_counter()
            for connector in connectors:
                instance.add_dynamic_partitions(partitions_name(connector), keys)
            emit(
                "add_partitions_s",
                time.perf_counter() - started,
                partitions=len(keys) * len(connectors),
            )

            started = time.perf_counter()
            counts = resolve(synthetic_definitions(options.connectors, options.streams))
            emit("build_resolve_with_partitions_s", time.perf_counter() - started, LOAD_TARGET_S)

            sensor_and_schedule(defs, instance, connectors, tenants, "main")

        # 3. The CLI, informational: mostly interpreter and Dagster start-up.
        if not options.skip_cli:
            env = {
                **os.environ,
                "DAGSTER_HOME": str(dagster_home),
                "ATSPARK_HOME": str(scratch / "atspark"),
            }
            emit("cli_validate_workspace_s", cli_validate(["-w", "workspace.yaml"], env))
            location = scratch / "synthetic_location.py"
            location.write_text(
                "import sys\n"
                f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
                "from bench_dagster import synthetic_definitions\n"
                f"defs = synthetic_definitions({options.connectors}, {options.streams})\n"
            )
            emit(
                "cli_validate_synthetic_s",
                cli_validate(["-f", str(location), "-a", "defs"], env),
                connectors=options.connectors,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Declarative connectors: ingest throughput against a floor, the catalog's load time, ``atspark
connector list`` start-up, and Dagster definitions with the whole catalog and 1,000 tenants.

1. Ingest. A catalog connector (``mailjet_mail``: offset pagination, 1,000 records a page, seven
   streams) runs through the declarative engine as ``atspark ingest`` runs it: a connection added
   to a tenant of a temporary home, then ``services.ingestion.ingest``. Its simulator runs in its
   own process (``atspark sandbox serve mailjet_mail --records 30000``): 210,000 rows a load.
   The engine asks for the catalog's page size, and so does the floor: httpx fetching the
   same pages (stopping, like dlt's offset paginator, at the first empty one), orjson parsing,
   the declared columns as Arrow (``connectors.arrow.to_arrow``, nested values as JSON
   text, timestamps and dates cast by DuckDB) and one bulk insert into DuckDB per stream, as in
   ``bench_ingest``. Floor and atspark alternate for a few rounds after a warm-up; reported is
   the median of the per-round ratios, and where atspark's time goes (setup, extract, normalize,
   load), from the stages ``pipelines.ingest`` reports. ``cpu_ratio`` is the same ratio in CPU
   seconds of this process (the simulator's excluded): steadier when other work shares the
   machine.
2. Catalog load, each in a fresh process timed inside it: ``connectors.catalog.connectors()``
   (every YAML spec parsed and validated; the YAML parsing alone too) and
   ``connectors.registry.load_connectors()`` (entry points, the catalog, stripe, files).
3. ``atspark connector list`` (table and ``--format json``) against ``python -c "import
   sqlalchemy, typer"``, interleaved as in ``bench_cli``: ratio of medians, target at most 2.
4. Dagster, in a fresh process: ``import assets.definitions`` (the registered connectors'
   definitions) and resolving the repository (target under 3 s); then 1,000 tenants' partitions
   of every registered connector added to a temporary instance, the definitions built and
   resolved again, the sensor's diff and a schedule tick, as ``bench_dagster`` does with
   synthetic connectors.

    .venv/bin/python -m bench.bench_connectors [--rounds 3] [--runs 7] [--tenants 1000]
        [--only ingest,catalog,cli,dagster] [--profile FILE]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_cli import ATSPARK, wall_time
from bench.bench_dagster import LOAD_TARGET_S, REPO, resolve, sensor_and_schedule
from bench.report import emit

CONNECTOR = "mailjet_mail"
RECORDS = 30_000
"""Records of each of the connector's 7 streams in its simulator: 210,000 rows a load, the
Stripe bench's scale."""
SEED = 7
SECRETS = {"api_key": "bench_key", "secret_key": "bench_secret"}
AUTH = (SECRETS["api_key"], SECRETS["secret_key"])
"""The simulator checks HTTP Basic credentials are there; these are what the connection sends."""
WARM_UP_STREAM = "senders"
PARTS = ("ingest", "catalog", "cli", "dagster")


# ---- 1. ingest ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(spec, port: int) -> subprocess.Popen:
    """The connector's simulator in its own process (``atspark sandbox serve``), once it
    answers every stream."""
    import httpx

    process = subprocess.Popen(
        [
            ATSPARK, "sandbox", "serve", spec.name, "--port", str(port), "--seed", str(SEED),
            "--records", str(RECORDS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the simulator exited")
        try:
            for stream in spec.streams:
                httpx.get(f"http://127.0.0.1:{port}{stream.path}", auth=AUTH, timeout=30)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the simulator did not start")


FLOOR_TYPES = {
    "text": "string",
    "json": "string",
    "timestamp": "string",
    "date": "string",
    "bigint": "int64",
    "double": "float64",
    "decimal": "float64",
    "bool": "bool_",
}
"""Arrow types the floor parses columns into; DuckDB casts timestamps and dates."""
CASTS = {"timestamp": "TIMESTAMPTZ", "date": "DATE"}


def floor(base_url: str, spec) -> tuple[int, float, float]:
    """httpx + orjson + Arrow + one DuckDB bulk insert per stream, the engine's pages."""
    import duckdb
    import httpx
    import orjson
    import pyarrow as pa

    from connectors.arrow import to_arrow
    from connectors.declarative import spec as s

    started, cpu_started = time.perf_counter(), time.process_time()
    rows = 0
    connection = duckdb.connect()
    with httpx.Client(base_url=base_url, auth=AUTH) as client:
        for stream in spec.streams:
            paginator = stream.paginator or spec.defaults.paginator
            records_at = stream.records or spec.defaults.records
            assert isinstance(paginator, s.OffsetPaginator) and not stream.parent
            assert records_at and "." not in records_at and "[" not in records_at
            schema = pa.schema(
                [(name, getattr(pa, FLOOR_TYPES[kind])()) for name, kind in stream.columns.items()]
            )
            params = {
                name: str(value).lower() if isinstance(value, bool) else value
                for name, value in {**spec.defaults.params, **stream.params}.items()
            }
            params[paginator.limit_param] = paginator.limit
            offset, tables = 0, []
            while True:
                params[paginator.offset_param] = offset
                response = client.get(stream.path, params=params)
                response.raise_for_status()
                body = orjson.loads(response.content)
                data = body[records_at]
                if not data:
                    break
                tables.append(to_arrow(data, schema))
                if paginator.has_more_path and not body.get(paginator.has_more_path):
                    break
                offset += paginator.limit
            batch = pa.concat_tables(tables)
            select = ", ".join(
                f'CAST("{name}" AS {CASTS[kind]}) AS "{name}"' if kind in CASTS else f'"{name}"'
                for name, kind in stream.columns.items()
            )
            connection.execute(f'CREATE TABLE "{stream.name}" AS SELECT {select} FROM batch')
            rows += batch.num_rows
    connection.close()
    return rows, time.perf_counter() - started, time.process_time() - cpu_started


STAGES = ("extracting", "normalizing", "loading", "published")
"""The stages ``pipelines.ingest`` reports, in order."""
PHASES = ("setup", "extract", "normalize", "load", "record")
"""What one ingest does before, between and after those stages."""


def atspark_run(
    base_url: str, home: Path, streams: list[str] | None = None, profile: str | None = None
) -> tuple[int, float, float, dict[str, float]]:
    """Rows loaded, seconds, CPU seconds of this process (DuckDB's threads included) and
    seconds per phase of one ``ingest`` of a fresh tenant."""
    from governance.platform import Platform
    from governance.settings import Settings
    from services import connections, ingestion, tenants
    from services.context import Operator, ServiceContext

    platform = Platform(Settings(home=home))
    ctx = ServiceContext(platform, Operator("bench"))
    tenants.create_tenant(ctx, "bench")
    config = {"base_url": base_url} | ({"streams": ",".join(streams)} if streams else {})
    connections.add_connection(ctx, "bench", CONNECTOR, config, dict(SECRETS))
    reached: dict[str, float] = {}
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = ingestion.ingest(
        ctx, "bench", CONNECTOR, lambda stage: reached.setdefault(stage, time.perf_counter())
    )
    finished, cpu = time.perf_counter(), time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    marks = [started, *(reached[stage] for stage in STAGES), finished]
    phases = {
        phase: end - begin for phase, begin, end in zip(PHASES, marks[:-1], marks[1:], strict=True)
    }
    return result.total_rows, finished - started, cpu, phases


def measure_ingest(rounds: int, profile: str | None) -> None:
    from connectors.registry import get_connector

    spec = get_connector(CONNECTOR).spec
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    simulator = start_simulator(spec, port)
    floors, runs = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="bench_connectors_") as scratch:
            floor(base_url, spec)  # warm-up: imports, connections, the server's first answers
            atspark_run(base_url, Path(scratch, "warm"), [WARM_UP_STREAM])
            for round_ in range(rounds):
                floors.append(floor(base_url, spec))
                runs.append(atspark_run(base_url, Path(scratch, f"r{round_}")))
            if profile:
                atspark_run(base_url, Path(scratch, "profiled"), profile=profile)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
    for (floor_rows, *_), (rows, *_) in zip(floors, runs, strict=True):
        assert rows == floor_rows, f"atspark loaded {rows} rows, the floor {floor_rows}"
    floor_rates = [rows / seconds for rows, seconds, _ in floors]
    atspark_rates = [rows / seconds for rows, seconds, _, _ in runs]
    ratios = [ours / base for ours, base in zip(atspark_rates, floor_rates, strict=True)]
    cpu_ratios = [base[2] / ours[2] for ours, base in zip(runs, floors, strict=True)]
    rows = runs[-1][0]
    phases = {phase: round(statistics.median(run[3][phase] for run in runs), 3) for phase in PHASES}
    common = {"connector": CONNECTOR, "rows": rows, "streams": len(spec.streams)}
    emit(
        "connector_ingest_floor_rows_per_s",
        statistics.median(floor_rates),
        **common,
        cpu_s=round(statistics.median(floor[2] for floor in floors), 3),
    )
    emit(
        "connector_ingest_atspark_rows_per_s",
        statistics.median(atspark_rates),
        **common,
        seconds=round(statistics.median(run[1] for run in runs), 3),
        cpu_s=round(statistics.median(run[2] for run in runs), 3),
        phases_s=phases,
    )
    emit(
        "connector_ingest_ratio_to_floor",
        statistics.median(ratios),
        ">= 0.5",
        connector=CONNECTOR,
        rounds=[round(ratio, 3) for ratio in ratios],
        cpu_ratio=round(statistics.median(cpu_ratios), 3),
    )
    if profile:
        print(f"# cProfile of one more atspark run written to {profile}", file=sys.stderr)


# ---- 2. catalog load ----------------------------------------------------------------------------

CATALOG_PROBE = """
import json, sys, time
started = time.perf_counter()
if sys.argv[1] == "catalog":
    import connectors.catalog
    imported = time.perf_counter()
    found = connectors.catalog.connectors()
    loaded = time.perf_counter()
    import yaml
    from connectors.declarative.loading import _LOADER
    for path in sorted(connectors.catalog.FOLDER.glob("*.yaml")):
        yaml.load(path.read_bytes(), Loader=_LOADER)
    extra = {"yaml_s": time.perf_counter() - loaded}
else:
    import connectors.registry
    imported = time.perf_counter()
    found = list(connectors.registry.load_connectors().values())
    loaded = time.perf_counter()
    extra = {}
print(json.dumps({
    "import_s": imported - started, "load_s": loaded - imported, "connectors": len(found),
    "streams": sum(len(connector.streams()) for connector in found), **extra,
}))
"""


def probe(kind: str, env: dict[str, str]) -> dict:
    command = [sys.executable, "-c", CATALOG_PROBE, kind]
    completed = subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return json.loads(completed.stdout)


def measure_catalog(runs: int, env: dict[str, str]) -> None:
    probes: dict[str, list[dict]] = {"catalog": [], "registry": []}
    for kind in probes:  # warm the file cache
        probe(kind, env)
    for _ in range(runs):
        for kind, found in probes.items():
            found.append(probe(kind, env))

    def median(kind: str, key: str) -> float:
        return round(statistics.median(found[key] for found in probes[kind]), 3)

    catalog, registry = probes["catalog"][-1], probes["registry"][-1]
    emit(
        "catalog_connectors_load_s",
        median("catalog", "load_s"),
        connectors=catalog["connectors"],
        streams=catalog["streams"],
        yaml_parse_s=median("catalog", "yaml_s"),
        import_s=median("catalog", "import_s"),
        runs=runs,
    )
    emit(
        "registry_load_connectors_s",
        median("registry", "import_s") + median("registry", "load_s"),
        connectors=registry["connectors"],
        import_s=median("registry", "import_s"),
        load_s=median("registry", "load_s"),
        runs=runs,
    )


# ---- 3. atspark connector list ------------------------------------------------------------------


def measure_cli(runs: int, env: dict[str, str]) -> None:
    commands = {
        "floor": [sys.executable, "-c", "import sqlalchemy, typer"],
        "connector_list": [ATSPARK, "connector", "list"],
        "connector_list_json": [ATSPARK, "connector", "list", "--format", "json"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache
        wall_time(command, env)
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall_time(command, env))
    floor_s = statistics.median(times["floor"])
    for name in ("connector_list", "connector_list_json"):
        median = statistics.median(times[name])
        emit(
            f"cli_{name}_ratio_to_import_floor",
            median / floor_s,
            "<= 2",
            median_s=round(median, 3),
            floor_s=round(floor_s, 3),
            runs=runs,
        )


# ---- 4. Dagster ---------------------------------------------------------------------------------


def dagster_child(tenant_count: int) -> None:
    """In a fresh process (``--dagster-child``): the real definitions, cold, then partitions."""
    started, cpu_started = time.perf_counter(), time.process_time()
    import assets.definitions

    imported = time.perf_counter()
    counts = resolve(assets.definitions.defs)
    resolved, cpu = time.perf_counter(), time.process_time() - cpu_started

    from connectors.registry import load_connectors

    connectors = sorted(load_connectors())
    emit("catalog_dagster_import_definitions_s", imported - started, connectors=len(connectors))
    emit("catalog_dagster_resolve_s", resolved - imported, **counts)
    emit(
        "catalog_dagster_load_resolve_s",
        resolved - started,
        LOAD_TARGET_S,
        cpu_s=round(cpu, 3),
        connectors=len(connectors),
    )

    from dagster import DagsterInstance

    from assets.partitions import partition_key, partitions_name

    scratch = Path(tempfile.mkdtemp(prefix="bench_connectors_dagster_"))
    try:
        shutil.copy(REPO / "dagster.yaml", scratch / "dagster.yaml")
        tenants = [f"t{i:04d}" for i in range(tenant_count)]
        with DagsterInstance.local_temp(str(scratch)) as instance:
            started = time.perf_counter()
            for connector in connectors:
                keys = [partition_key(tenant, connector) for tenant in tenants]
                instance.add_dynamic_partitions(partitions_name(connector), keys)
            emit(
                "catalog_dagster_add_partitions_s",
                time.perf_counter() - started,
                partitions=len(tenants) * len(connectors),
            )

            started = time.perf_counter()
            defs = assets.definitions.build_definitions()
            resolve(defs)
            emit(
                "catalog_dagster_build_resolve_with_partitions_s",
                time.perf_counter() - started,
                LOAD_TARGET_S,
                tenants=len(tenants),
            )

            sensor_and_schedule(defs, instance, connectors, tenants, "", "catalog_dagster_")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_dagster(tenants: int, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "bench.bench_connectors", "--dagster-child"]
    subprocess.run([*command, "--tenants", str(tenants)], cwd=REPO, env=env, check=True)


# ---- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds (floor, atspark)")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per timing")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--profile", help="cProfile one more atspark ingest into this file")
    parser.add_argument("--dagster-child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.dagster_child:
        dagster_child(options.tenants)
        return
    parts = options.only.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)} (known: {', '.join(PARTS)})")
    with tempfile.TemporaryDirectory(prefix="bench_connectors_home_") as home:
        env = os.environ | {"ATSPARK_HOME": home}
        if "ingest" in parts:
            measure_ingest(options.rounds, options.profile)
        if "catalog" in parts:
            measure_catalog(options.runs, env)
        if "cli" in parts:
            measure_cli(options.runs, env)
        if "dagster" in parts:
            measure_dagster(options.tenants, env)


if __name__ == "__main__":
    main()

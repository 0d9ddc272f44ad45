"""Ingestion throughput: Stripe sandbox -> tenant warehouse, against a floor measured alongside.

The floor fetches the same pages with httpx, parses them with orjson and bulk-inserts them into
DuckDB via Arrow: the least work any loader must do. atspark's figure is ``atspark ingest`` end to
end (the official SDK, dlt, an encrypted snapshot published). Both read the same sandbox, which
runs in its own process. Floor and atspark alternate for a few rounds and the median of the
per-round ratios is reported, because this machine's speed drifts by a third between minutes.
Also reported: key-manager calls per run at two sizes (must not grow with rows).
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx
import orjson
import pyarrow as pa

from bench.report import emit
from connectors.arrow import arrow_schema, to_arrow
from connectors.stripe.columns import COLUMNS
from governance.platform import Platform
from governance.settings import Settings
from services import connections, ingestion, tenants
from services.context import Operator, ServiceContext

CUSTOMERS = 21_000
ROUNDS = 3
SMALL_CUSTOMERS = 500
STREAMS = {"customers": "/v1/customers", "charges": "/v1/charges"}
KEY = "sk_test_bench"
ROOT = Path(__file__).resolve().parent.parent


def start_sandbox(port: int, customers: int) -> subprocess.Popen:
    atspark = Path(sys.executable).parent / "atspark"
    process = subprocess.Popen(
        [
            str(atspark),
            "sandbox",
            "serve",
            "stripe",
            "--port",
            str(port),
            "--seed",
            "7",
            "--customers",
            str(customers),
            "--rate-limit-every",
            "0",
            "--api-key",
            KEY,
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            for path in STREAMS.values():  # the sandbox serializes each endpoint on first use
                httpx.get(
                    f"http://127.0.0.1:{port}{path}",
                    timeout=60,
                    headers={"Authorization": f"Bearer {KEY}"},
                )
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("sandbox did not start")


def floor(base_url: str) -> tuple[int, float]:
    """httpx + json + Arrow + one DuckDB bulk insert per stream.

    Records become Arrow rows of the stream's declared columns as in the connector (nested values
    as JSON text: DuckDB cannot take Stripe's empty ``metadata`` objects as structs), so the ratio
    measures everything else.
    """
    started = time.perf_counter()
    rows = 0
    connection = duckdb.connect()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}) as client:
        for name, path in STREAMS.items():
            schema = arrow_schema(COLUMNS[name])
            tables, params = [], {"limit": 100}
            while True:
                page = orjson.loads(client.get(path, params=params).content)
                data = page["data"]
                if data:
                    tables.append(to_arrow(data, schema))
                if not page["has_more"]:
                    break
                params["starting_after"] = data[-1]["id"]
            batch = pa.concat_tables(tables)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM batch")
            rows += batch.num_rows
    return rows, time.perf_counter() - started


def atspark_run(base_url: str, home: Path) -> tuple[int, float, int]:
    """Rows loaded, seconds and key-manager calls for one ``ingest`` of a fresh tenant."""
    platform = Platform(Settings(home=home))
    ctx = ServiceContext(platform, Operator("bench"))
    tenants.create_tenant(ctx, "bench")
    config = {"base_url": base_url, "streams": ",".join(STREAMS)}
    connections.add_connection(ctx, "bench", "stripe", config, {"api_key": KEY})
    platform.keys.cache.clear()
    calls_before = platform.keys.key_manager.calls
    started = time.perf_counter()
    result = ingestion.ingest(ctx, "bench", "stripe")
    seconds = time.perf_counter() - started
    return result.total_rows, seconds, platform.keys.key_manager.calls - calls_before


def main() -> None:
    sandboxes = {
        size: start_sandbox(port, size)
        for size, port in ((CUSTOMERS, 12191), (SMALL_CUSTOMERS, 12192))
    }
    floors, runs = [], []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            small_rows, _, small_calls = atspark_run("http://127.0.0.1:12192", Path(scratch, "s"))
            for round_ in range(ROUNDS):
                floors.append(floor("http://127.0.0.1:12191"))
                runs.append(atspark_run("http://127.0.0.1:12191", Path(scratch, f"b{round_}")))
    finally:
        for process in sandboxes.values():
            process.terminate()
    floor_rates = [rows / seconds for rows, seconds in floors]
    atspark_rates = [rows / seconds for rows, seconds, _ in runs]
    ratios = [ours / base for ours, base in zip(atspark_rates, floor_rates, strict=True)]
    rows, calls = runs[-1][0], runs[-1][2]
    emit("ingest_floor_rows_per_s", statistics.median(floor_rates), rows=floors[-1][0])
    emit("ingest_atspark_rows_per_s", statistics.median(atspark_rates), rows=rows)
    emit(
        "ingest_ratio_to_floor",
        statistics.median(ratios),
        rounds=[round(ratio, 3) for ratio in ratios],
        target=">= 0.5",
    )
    emit(
        "key_manager_calls_per_run",
        calls,
        rows=rows,
        small_run_calls=small_calls,
        small_run_rows=small_rows,
        target="constant in rows",
    )


if __name__ == "__main__":
    main()

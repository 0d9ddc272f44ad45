"""HubSpot: contacts rows/s through the SDK connector against a floor, as the platform loads.

The HubSpot simulator runs in its own process with N contacts. atspark: a connection of a
tenant in a temporary home (contacts only), then ``services.ingestion.ingest``: the SDK's
searches, 200 contacts a page (a new search from the last modification moment every 10,000),
Arrow, dlt, the tenant's DuckDB warehouse, a published snapshot. The floor: right after, the
very requests that run sent (from the simulator's log) sent again with plain ``requests`` and
parsed with orjson, nothing else. After a warm-up (a load of owners: imports, a first
pipeline), a few rounds; reported are the medians, the ratio of atspark's rate to the floor's
(target at least 0.5) and where atspark's time goes (setup, extract, normalize, load, record).
The platform's share (dlt's normalize, the merge into the encrypted warehouse, the snapshot)
is mostly fixed: the ratio grows with N.

    .venv/bin/python -m bench.bench_hubspot [--contacts 100000] [--rounds 3]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_connectors import PHASES, STAGES, free_port
from bench.report import emit

SEED = 7
SEARCH = "/crm/v3/objects/contacts/search"
SERVE = """
import sys
from connectors.sandbox.hubspot import create_app
from connectors.sandbox.server import serve_forever
serve_forever(create_app(int(sys.argv[1]), {"contacts": int(sys.argv[2])}), int(sys.argv[3]))
"""


def start_simulator(contacts: int, port: int) -> subprocess.Popen:
    """The simulator in its own process, once it answers."""
    import httpx

    from connectors.sandbox.hubspot import SANDBOX_TOKEN

    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(SEED), str(contacts), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the simulator exited")
        try:
            headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
            httpx.get(f"http://127.0.0.1:{port}/crm/v3/owners", headers=headers, timeout=5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the simulator did not start")


def requests_log(base_url: str) -> list[dict]:
    import httpx

    return httpx.get(f"{base_url}/_sandbox/requests", timeout=60).json()


def floor(base_url: str, bodies: list[dict]) -> tuple[int, float]:
    """Rows and seconds: the run's search requests sent again with plain requests, parsed."""
    import orjson
    import requests

    from connectors.sandbox.hubspot import SANDBOX_TOKEN

    rows = 0
    started = time.perf_counter()
    with requests.Session() as session:
        session.headers.update(
            {"Authorization": f"Bearer {SANDBOX_TOKEN}", "Content-Type": "application/json"}
        )
        for body in bodies:
            answer = session.post(f"{base_url}{SEARCH}", data=orjson.dumps(body))
            answer.raise_for_status()
            rows += len(orjson.loads(answer.content)["results"])
    return rows, time.perf_counter() - started


def atspark_run(
    base_url: str, home: Path, stream: str = "contacts"
) -> tuple[int, float, dict[str, float]]:
    """Rows loaded, seconds and seconds per phase of one ingest of a fresh tenant."""
    from connectors.sandbox.hubspot import SANDBOX_TOKEN
    from governance.platform import Platform
    from governance.settings import Settings
    from services import connections, ingestion, tenants
    from services.context import Operator, ServiceContext

    ctx = ServiceContext(Platform(Settings(home=home)), Operator("bench"))
    tenants.create_tenant(ctx, "bench")
    config = {"base_url": base_url, "streams": [stream]}
    connections.add_connection(ctx, "bench", "hubspot", config, {"access_token": SANDBOX_TOKEN})
    reached: dict[str, float] = {}
    started = time.perf_counter()
    result = ingestion.ingest(
        ctx, "bench", "hubspot", lambda stage: reached.setdefault(stage, time.perf_counter())
    )
    finished = time.perf_counter()
    marks = [started, *(reached[stage] for stage in STAGES), finished]
    phases = {p: end - begin for p, begin, end in zip(PHASES, marks[:-1], marks[1:], strict=True)}
    return result.total_rows, finished - started, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    simulator = start_simulator(options.contacts, port)
    floors, runs = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="bench_hubspot_") as scratch:
            atspark_run(base_url, Path(scratch, "warm"), "owners")  # imports, a first load
            for round_ in range(options.rounds):
                asked = len(requests_log(base_url))
                runs.append(atspark_run(base_url, Path(scratch, f"r{round_}")))
                bodies = [
                    request["body"]
                    for request in requests_log(base_url)[asked:]
                    if request["path"] == SEARCH
                ]
                floors.append(floor(base_url, bodies))
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
    for (fetched, _), (rows, _, _) in zip(floors, runs, strict=True):
        # (the floor counts the records of a moment spanning the cap twice, as they come)
        assert rows == options.contacts <= fetched, (rows, fetched)
    floor_rates = [options.contacts / seconds for _, seconds in floors]
    atspark_rates = [options.contacts / seconds for _, seconds, _ in runs]
    ratios = [ours / base for ours, base in zip(atspark_rates, floor_rates, strict=True)]
    phases = {p: round(statistics.median(run[2][p] for run in runs), 3) for p in PHASES}
    common = {"connector": "hubspot", "stream": "contacts", "rows": options.contacts}
    emit(
        "hubspot_contacts_floor_rows_per_s",
        statistics.median(floor_rates),
        **common,
        requests=len(bodies),
    )
    emit(
        "hubspot_contacts_atspark_rows_per_s",
        statistics.median(atspark_rates),
        **common,
        seconds=round(statistics.median(run[1] for run in runs), 3),
        phases_s=phases,
    )
    emit(
        "hubspot_contacts_ratio_to_floor",
        statistics.median(ratios),
        ">= 0.5",
        rounds=[round(ratio, 3) for ratio in ratios],
    )


if __name__ == "__main__":
    main()

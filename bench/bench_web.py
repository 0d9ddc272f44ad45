"""Serving throughput: signed-in ``GET /api/v1/me`` and a governed ``POST /api/v1/query`` under
50 concurrent clients, against a bare FastAPI route served the same way.

The app runs as ``atspark serve`` runs it (that command, so ``create_app`` under uvicorn's
defaults with proxy headers) in a subprocess on 127.0.0.1, its home a temporary directory the
services seeded: tenant ``acme`` with a 10,000-row ``deals`` table and ``vic``, a viewer whom a
row policy restricts to one region, signed in by an API token. The baseline is a FastAPI app
with one route answering a small JSON object, under ``uvicorn.run`` with the same settings, in
its own subprocess. Each query has a new literal, so none is answered from the result cache: a
governed read end to end (token, permission, compile, read guard, isolated worker, audit).

Each endpoint gets 50 clients (an ``httpx.AsyncClient`` and a kept-alive connection each,
in this process) looping for ``--seconds`` after a warm-up; any answer but 200 fails the bench.
Reported: requests/s and p99 latency of each, and the app's ratios to the bare route. On two
cores the clients and the server share the machine, so the bare route's figure is partly the
clients' own cost: the ratios understate the app's overhead rather than overstate it.

    .venv/bin/python -m bench.bench_web [--seconds 8] [--clients 50]
"""

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench.report import emit
from governance.platform import Platform
from governance.settings import Settings
from services import auth, identity, policies, tenants
from services.context import Operator, ServiceContext

ATSPARK = str(Path(sys.executable).parent / "atspark")
ROWS = 10_000
BARE = "import uvicorn; uvicorn.run('bench.bench_web:bare', port={port}, proxy_headers=True)"
"""The baseline, served as ``atspark serve`` serves the app: ``uvicorn.run``, proxy headers on."""
QUERY = (
    "SELECT region, count(*) AS deals, sum(amount) AS total FROM deals WHERE id <> -{} GROUP BY 1"
)

bare = FastAPI()


@bare.get("/bare")
def bare_route() -> dict[str, str]:
    return {"status": "ok"}


@dataclass
class Measured:
    requests: int
    requests_per_s: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(home: Path) -> str:
    """Tenant ``acme``, its deals and ``vic`` under a region policy: vic's API token."""
    platform = Platform(Settings(home=home))
    operator = ServiceContext(platform, Operator("bench"))
    tenant = tenants.create_tenant(operator, "acme")
    with platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute(
            "CREATE TABLE acme.deals AS SELECT i AS id, ['emea', 'apac', 'us'][i % 3 + 1]"
            f" AS region, (i * 7919) % 10000 AS amount FROM range({ROWS}) t(i)"
        )
    identity.add_user(operator, "acme", "vic@acme.io", ["viewer"], attributes={"region": ["emea"]})
    policies.add_policy(
        operator, "acme", "own_region", "deals", "region IN ({{ user.attr.region }})", ["viewer"]
    )
    token, _ = auth.create_api_token(operator, "acme", "vic@acme.io")
    platform.control_plane.dispose()
    return token


@contextmanager
def served(command: list[str], env: dict[str, str], url: str):
    """``command`` serving at ``url`` until the block ends."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


async def hammer(
    url: str, clients: int, seconds: float, headers: dict[str, str], sql: str | None = None
) -> Measured:
    """``clients`` clients looping for ``seconds`` after a one-second warm-up: ``GET url``, or
    ``POST url`` of ``sql`` with a new number in it each time."""
    numbers = itertools.count(1)
    latencies: list[float] = []
    measuring = time.perf_counter() + 1
    ending = measuring + seconds

    async def one_client() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            while (started := time.perf_counter()) < ending:
                if sql is None:
                    answer = await client.get(url)
                else:
                    answer = await client.post(url, json={"sql": sql.format(next(numbers))})
                if answer.status_code != 200:
                    raise RuntimeError(f"{url}: {answer.status_code} {answer.text}")
                if started >= measuring:
                    latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    latencies.sort()
    return Measured(
        len(latencies), len(latencies) / seconds, latencies[int(len(latencies) * 0.99)] * 1000
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    load = (args.clients, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        bearer = {"Authorization": f"Bearer {seed(home)}"}
        env = os.environ | {"ATSPARK_HOME": str(home)}
        base = f"http://127.0.0.1:{(port := free_port())}"
        with served([sys.executable, "-c", BARE.format(port=port)], env, f"{base}/bare"):
            bare_route = asyncio.run(hammer(f"{base}/bare", *load, {}))
        with served([ATSPARK, "serve", "--port", str(port)], env, f"{base}/health"):
            query = f"{base}/api/v1/query"
            check = httpx.post(query, json={"sql": QUERY.format(0)}, headers=bearer)
            assert [row[0] for row in check.json()["rows"]] == ["emea"], check.text  # the policy
            measured = {
                "me": asyncio.run(hammer(f"{base}/api/v1/me", *load, bearer)),
                "query": asyncio.run(hammer(query, *load, bearer, QUERY)),
            }
    shared = {"clients": args.clients, "seconds": args.seconds}
    emit(
        "web_bare_requests_per_s",
        bare_route.requests_per_s,
        p99_ms=round(bare_route.p99_ms, 1),
        requests=bare_route.requests,
        **shared,
    )
    for name, result in measured.items():
        emit(
            f"web_{name}_requests_per_s_ratio_to_bare",
            result.requests_per_s / bare_route.requests_per_s,
            requests_per_s=round(result.requests_per_s, 1),
            p99_ms=round(result.p99_ms, 1),
            p99_ratio_to_bare=round(result.p99_ms / bare_route.p99_ms, 2),
            requests=result.requests,
            **shared,
        )


if __name__ == "__main__":
    main()

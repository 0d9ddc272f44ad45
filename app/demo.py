"""``make run``: seed the demo tenants, ingest them, then serve Dagster and the app until Ctrl-C.

Demo tenants ``acme`` and ``globex`` each get a Stripe connection to its own sandbox (different
seeds). Every step is idempotent, so running it again reuses what is there.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from governance import tenancy
from governance.errors import NotFoundError
from governance.platform import Platform
from governance.settings import get_settings
from pipelines.ingest import ingest

DEMO_TENANTS = {"acme": ("Acme Corp", 12111, 1), "globex": ("Globex Inc", 12112, 2)}
SANDBOX_KEY = "sk_test_sandbox"
DAGSTER_URL, APP_URL = "http://127.0.0.1:3000", "http://127.0.0.1:8000"
ROOT = Path(__file__).resolve().parent.parent


def _start(stack: ExitStack, *command: str) -> subprocess.Popen:
    """Start ``command`` in its own process group, stopped with the group when the stack closes."""
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_until_up(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


def _seed(platform: Platform, slug: str, name: str, port: int) -> None:
    try:
        tenancy.get_tenant(platform, slug)
    except NotFoundError:
        tenancy.create_tenant(platform, slug, name)
    try:
        tenancy.get_connection(platform, slug, "stripe")
    except NotFoundError:
        tenancy.add_connection(
            platform,
            slug,
            "stripe",
            "stripe",
            {"base_url": f"http://127.0.0.1:{port}"},
            {"api_key": SANDBOX_KEY},
        )


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    platform = Platform(get_settings())
    atspark = str(Path(sys.executable).parent / "atspark")
    with ExitStack() as stack:
        for slug, (name, port, seed) in DEMO_TENANTS.items():
            _start(
                stack,
                atspark,
                "sandbox",
                "serve",
                "stripe",
                "--port",
                str(port),
                "--seed",
                str(seed),
            )
            _wait_until_up(f"http://127.0.0.1:{port}/v1/customers")
            _seed(platform, slug, name, port)
            result = ingest(platform, slug, "stripe")
            print(f"{slug}: ingested {result.total_rows} rows in {result.duration_s:.1f}s")
        dagster = str(Path(sys.executable).parent / "dagster")
        _start(stack, dagster, "dev", "-h", "127.0.0.1", "-p", "3000", "-w", "workspace.yaml")
        _start(
            stack,
            sys.executable,
            "-m",
            "uvicorn",
            "app.server:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            "8000",
        )
        _wait_until_up(f"{APP_URL}/health")
        _wait_until_up(f"{DAGSTER_URL}/server_info")
        print(
            f"\natspark is running:\n  Dagster UI   {DAGSTER_URL}\n  serving app  {APP_URL}\n"
            "Press Ctrl-C to stop."
        )
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("\nstopping...")


if __name__ == "__main__":
    main()

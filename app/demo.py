"""``make run``: seed the demo tenants, ingest them, then serve Dagster and the app until Ctrl-C.

Demo tenants ``acme`` and ``globex`` each get a Stripe connection to a sandbox of their own
(different seeds). Every step is idempotent, so running it again reuses what is there.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from connectors.registry import get_connector
from governance.errors import ConflictError, NotFoundError
from governance.names import table_name
from governance.platform import Platform
from governance.settings import get_settings
from services import auth, connections, identity, ingestion, policies, tenants
from services.context import Operator, ServiceContext

DEMO_TENANTS = (("acme", "Acme Corp", 1), ("globex", "Globex Inc", 2))
SANDBOX_KEY = "sk_test_sandbox"
DEMO_ROLES = ("admin", "member")
LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent


def _start(stack: ExitStack, *command: str) -> subprocess.Popen:
    """Start ``command`` in its own process group, stopped with the group when the stack closes."""
    process = subprocess.Popen(command, start_new_session=True)
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


def _seed(ctx: ServiceContext, slug: str, name: str, sandbox_url: str) -> None:
    try:
        tenants.get_tenant(ctx, slug)
    except NotFoundError:
        tenants.create_tenant(ctx, slug, name)
    try:
        connections.get_connection(ctx, slug, "stripe")
    except NotFoundError:
        config, secrets = {"base_url": sandbox_url}, {"api_key": SANDBOX_KEY}
        connections.add_connection(ctx, slug, "stripe", config, secrets)


def _member_policies(ctx: ServiceContext, slug: str) -> None:
    """Members read the Stripe tables' rows of customers billed in US dollars (every row of the
    sandbox): without a policy, a member reads nothing of a table, and Ask answers nothing."""
    for stream in get_connector("stripe").streams():
        table = table_name("stripe", stream.name)
        predicate = "currency = 'usd'" if "currency" in stream.columns else "TRUE"
        try:
            policies.add_policy(ctx, slug, f"members_{stream.name}", table, predicate, ["member"])
        except ConflictError:
            pass


def _demo_people(ctx: ServiceContext, slug: str) -> list[tuple[str, str, str]]:
    """An admin and a member of the tenant, each with a fresh password and TOTP secret (new on
    every run, so what is printed is what works): (email, password, TOTP secret)."""
    people = []
    for role in DEMO_ROLES:
        email, password = f"{role}@{slug}.example", secrets.token_urlsafe(12)
        try:
            identity.set_user(ctx, slug, email, roles=[role], password=password)
        except NotFoundError:
            identity.add_user(ctx, slug, email, [role], password=password)
        people.append((email, password, auth.enroll_totp(ctx, slug, email).secret))
    return people


def _busy_ports(ports: list[int]) -> list[int]:
    """Those of ``ports`` something already listens on (the demo would talk to it otherwise)."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                busy.append(port)
    return busy


def _interrupt(_signum: int, _frame: object) -> None:
    """Stop once: later signals (make and uv forward Ctrl-C too) must not cut the clean-up short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dagster-port", type=int, default=3000)
    parser.add_argument("--app-port", type=int, default=8000)
    parser.add_argument("--sandbox-port", type=int, default=12111, help="first of two ports")
    return parser.parse_args()


def _run(options: argparse.Namespace) -> None:
    sandbox_ports = [options.sandbox_port + offset for offset in range(len(DEMO_TENANTS))]
    busy = _busy_ports([options.dagster_port, options.app_port, *sandbox_ports])
    if busy:
        sys.exit(
            f"port {', '.join(map(str, busy))} already in use: stop what listens there or pass "
            "--dagster-port, --app-port or --sandbox-port"
        )
    ctx = ServiceContext(Platform(get_settings()), Operator("demo"))
    dagster_url = f"http://{LOOPBACK}:{options.dagster_port}"
    app_url = f"http://{LOOPBACK}:{options.app_port}"
    people: list[tuple[str, str, str, str]] = []
    with ExitStack() as stack:
        for port, (slug, name, seed) in zip(sandbox_ports, DEMO_TENANTS, strict=True):
            _start(
                stack,
                str(BIN / "atspark"),
                "sandbox",
                "serve",
                "stripe",
                "--port",
                str(port),
                "--seed",
                str(seed),
            )
            sandbox_url = f"http://{LOOPBACK}:{port}"
            _wait_until_up(f"{sandbox_url}/v1/customers")
            _seed(ctx, slug, name, sandbox_url)
            result = ingestion.ingest(ctx, slug, "stripe")
            print(f"{slug}: ingested {result.total_rows} new rows in {result.duration_s:.1f}s")
            _member_policies(ctx, slug)
            people.extend((slug, *person) for person in _demo_people(ctx, slug))
        _start(
            stack,
            str(BIN / "dagster"),
            "dev",
            "-h",
            LOOPBACK,
            "-p",
            str(options.dagster_port),
            "-w",
            "workspace.yaml",
        )
        _start(
            stack,
            str(BIN / "atspark"),
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(options.app_port),
        )
        _wait_until_up(f"{app_url}/health")
        _wait_until_up(f"{dagster_url}/server_info")
        print(
            f"\natspark is running:\n  Dagster UI   {dagster_url}\n  serving app  {app_url}\n"
            "\nDemo users (sign in at the app; the second factor is a TOTP code from an "
            'authenticator app given the secret, or `python -c "import pyotp; '
            "print(pyotp.TOTP('SECRET').now())\"`):",
            flush=True,
        )
        for slug, email, password, secret in people:
            print(f"  tenant {slug:8} {email:24} password {password}  TOTP secret {secret}")
        print("Press Ctrl-C to stop.", flush=True)
        signal.pause()


def main() -> None:
    # Explicit handlers: a background launch may start with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run(_arguments())
    except KeyboardInterrupt:
        print("\natspark stopped.")


if __name__ == "__main__":
    main()

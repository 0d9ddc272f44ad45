"""``make run``'s launcher: it seeds and ingests the demo, serves both UIs, and Ctrl-C stops all."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pyotp
from dagster import AssetKey, DagsterInstance

from tests.fixtures.services import free_port, free_port_pair


def test_demo_serves_dagster_and_the_app_and_stops_everything_on_ctrl_c(settings, tmp_path):
    dagster_port, app_port, sandbox_port = free_port(), free_port(), free_port_pair()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    errors = tmp_path / "stderr.txt"
    ports = ["--dagster-port", str(dagster_port), "--app-port", str(app_port)]
    with errors.open("w") as stderr:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "app.demo", *ports, "--sandbox-port", str(sandbox_port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    printed = []
    deadline = time.monotonic() + 240
    while "Press Ctrl-C to stop." not in printed:
        running = launcher.poll() is None and time.monotonic() < deadline
        assert running, (printed, errors.read_text()[-3000:])
        printed.append(launcher.stdout.readline().strip())
    children = psutil.Process(launcher.pid).children(recursive=True)
    try:
        assert any(line.startswith("acme: ingested") for line in printed)
        assert any(line.startswith("globex: ingested") for line in printed)
        assert httpx.get(f"http://127.0.0.1:{app_port}/health").json() == {"status": "ok"}
        assert_printed_admin_signs_in(printed, f"http://127.0.0.1:{app_port}")
        assert httpx.get(f"http://127.0.0.1:{dagster_port}/server_info").status_code == 200
        assert materialized_partitions(tmp_path / "dagster") == {"acme.stripe", "globex.stripe"}
        launcher.send_signal(signal.SIGINT)
        launcher.wait(60)
        assert "atspark stopped." in launcher.stdout.read()
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == []
    finally:
        for child in children:
            if child.is_running():
                child.kill()


def assert_printed_admin_signs_in(printed: list[str], app_url: str) -> None:
    """The admin of acme, with the password and TOTP secret printed, signs in and reads."""
    line = next(line for line in printed if "admin@acme.example" in line)
    words = line.split()
    password, secret = words[words.index("password") + 1], words[-1]
    with httpx.Client(base_url=app_url) as http:
        body = {"tenant": "acme", "email": "admin@acme.example", "password": password}
        challenge = http.post("/api/v1/auth/login", json=body).json()["challenge"]
        code = pyotp.TOTP(secret).now()
        answer = {"challenge": challenge, "method": "totp", "code": code}
        assert http.post("/api/v1/auth/mfa", json=answer).status_code == 200
        tables = http.get("/api/v1/tables").json()
    assert any(table["name"] == "stripe_customers" for table in tables)


def materialized_partitions(dagster_home, timeout_s: float = 180.0) -> set[str]:
    """The partitions of ``stripe/customers`` Dagster shows as materialized, once both are.

    The demo loads before Dagster starts; the loads sensor reports those loads on its first
    ticks (every 30 seconds).
    """
    key = AssetKey(["stripe", "customers"])
    deadline = time.monotonic() + timeout_s
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        while True:
            found = instance.get_materialized_partitions(key)
            if len(found) >= 2 or time.monotonic() > deadline:
                return set(found)
            time.sleep(2)


def test_demo_refuses_a_busy_port_before_it_starts_anything(settings, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = ["--app-port", str(busy), "--dagster-port", str(free_port())]
        launched = subprocess.run(
            [sys.executable, "-m", "app.demo", *ports, "--sandbox-port", str(free_port_pair())],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert launched.returncode == 1
    assert launched.stderr.strip() == (
        f"port {busy} already in use: stop what listens there or pass --dagster-port, "
        "--app-port or --sandbox-port"
    )
    assert not settings.home.exists() or not any(settings.home.iterdir())

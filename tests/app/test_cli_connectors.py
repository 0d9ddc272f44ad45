"""``atspark connector``, ``atspark sandbox serve NAME`` and ``connection add`` by the schema,
as users run them."""

import json
import subprocess
import sys
import textwrap
import tomllib

import pytest

from connectors.registry import load_connectors
from services import tenants
from tests.app.test_cli import ATSPARK, run
from tests.fixtures.services import free_port, wait_for_http

CATEGORIES = {"billing", "crm", "accounting", "support", "marketing", "analytics", "hr"}
CATEGORIES |= {"ecommerce", "project_management", "engineering"}


def test_connector_list_shows_the_catalog_as_json(settings):
    listed = run("connector", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) >= 100
    assert {"name", "category", "auth", "streams"} <= set(rows[0])
    assert CATEGORIES <= {row["category"] for row in rows}
    pagerduty = next(row for row in rows if row["name"] == "pagerduty")
    assert pagerduty["auth"] == "api_key" and "incidents" in pagerduty["streams"]


def test_connector_list_filters_by_category_and_refuses_an_unknown_one(settings):
    crm = json.loads(run("connector", "list", "--category", "crm", "--format", "json").stdout)
    assert crm and {row["category"] for row in crm} == {"crm"}
    unknown = run("connector", "list", "--category", "nope")
    assert unknown.returncode == 1 and "unknown category 'nope'" in unknown.stderr


def test_connector_show_gives_streams_and_the_connection_schema(settings):
    shown = run("connector", "show", "pagerduty", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    described = json.loads(shown.stdout)
    assert {"name", "category", "auth", "streams", "config"} <= set(described)
    config = described["config"]
    assert config["properties"]["api_key"]["writeOnly"] is True
    assert "api_key" in config["required"]
    assert config["properties"]["base_url"]["default"] == "https://api.pagerduty.com"
    incidents = next(s for s in described["streams"] if s["name"] == "incidents")
    assert incidents["primary_key"] == ["id"] and incidents["cursor"] == "updated_at"
    assert run("connector", "show", "nope").returncode == 1


def test_connection_add_follows_the_schema(settings):
    run("tenant", "create", "acme")
    as_config = run("connection", "add", "acme", "pagerduty", "--config", "api_key=k")
    assert as_config.returncode == 1 and "is a secret: give it as a secret" in as_config.stderr
    assert "k\n" not in as_config.stderr
    wrong_stream = run(
        "connection", "add", "acme", "pagerduty", "--config", "streams=incidents,nope",
        "--secret", "api_key=k",
    )  # fmt: skip
    assert wrong_stream.returncode == 1 and "'nope' is not one of" in wrong_stream.stderr
    good = run(
        "connection", "add", "acme", "pagerduty", "--config", "streams=incidents,teams",
        "--config", "start_date=2024-01-01", "--secret", "api_key=k",
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    listed = json.loads(run("connection", "list", "acme", "--format", "json").stdout)
    assert listed[0]["config"] == {"streams": ["incidents", "teams"], "start_date": "2024-01-01"}
    assert listed[0]["secrets"] == {"api_key": "********"}


def test_sandbox_serve_then_ingest_works_offline(settings, operator):
    port = free_port()
    sandbox = subprocess.Popen(
        [ATSPARK, "sandbox", "serve", "asana", "--port", str(port), "--seed", "3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_sandbox/requests")
        run("tenant", "create", "acme")
        added = run(
            "connection", "add", "acme", "asana", "--config", f"base_url=http://127.0.0.1:{port}",
            "--secret", "access_token=anything",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        ingested = run("ingest", "acme", "asana")
        assert ingested.returncode == 0, ingested.stderr
    finally:
        sandbox.terminate()
        sandbox.wait()
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as warehouse:
        for stream in load_connectors()["asana"].streams():
            count = warehouse.execute(f"SELECT count(*) FROM acme.asana_{stream.name}").fetchone()
            assert count[0] > 0, stream.name


def test_connector_new_scaffolds_a_plugin_that_passes_the_kit(settings, tmp_path, monkeypatch):
    made = run("connector", "new", "acme_widgets", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    package = tmp_path / "atspark-connector-acme-widgets"
    entry = tomllib.loads((package / "pyproject.toml").read_text())["project"]["entry-points"]
    assert entry["atspark.connectors"] == {"acme_widgets": "atspark_acme_widgets:connectors"}
    kit = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert kit.returncode == 0, kit.stdout[-2000:]
    assert "3 passed" in kit.stdout
    # installed the way pip would, the registry finds it beside the built-ins
    dist_info = tmp_path / "atspark_connector_acme_widgets-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: x\nVersion: 0.1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent("[atspark.connectors]\nacme_widgets = atspark_acme_widgets:connectors\n")
    )
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.syspath_prepend(str(tmp_path))
    load_connectors.cache_clear()
    try:
        assert "acme_widgets" in load_connectors()
    finally:
        load_connectors.cache_clear()


@pytest.mark.parametrize(
    ("name", "message"),
    [("Bad-Name", "must be lower-case letters"), ("stripe", "a connector 'stripe' exists")],
)
def test_connector_new_refuses_bad_or_taken_names(settings, tmp_path, name, message):
    made = run("connector", "new", name, "--dir", str(tmp_path))
    assert made.returncode == 1 and message in made.stderr
    assert not any(tmp_path.iterdir())

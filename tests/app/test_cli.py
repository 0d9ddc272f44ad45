"""The ``atspark`` command as users run it: a real process, its output and exit status."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from connectors.sandbox.stripe import running_stripe_sandbox
from governance.crypto.purposes import TENANT_PURPOSES
from governance.platform import Platform
from services import auth
from services.context import Operator, ServiceContext

ATSPARK = str(Path(sys.executable).parent / "atspark")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ATSPARK, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


def test_tenant_create_and_list_as_json(settings):
    assert run("tenant", "create", "acme", "--name", "Acme Corp").returncode == 0
    listed = run("tenant", "list", "--format", "json")
    assert listed.returncode == 0
    assert [(t["slug"], t["name"]) for t in json.loads(listed.stdout)] == [("acme", "Acme Corp")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tenant", "create", "Not Valid"), "invalid tenant slug"),
        (("tenant", "delete", "ghost", "--yes"), "no tenant 'ghost'"),
        (("keys", "rotate", "ghost"), "no tenant 'ghost'"),
        (("connection", "add", "acme", "nosuch"), "unknown connector 'nosuch'"),
        (
            ("connection", "add", "acme", "stripe", "--config", "colour=red"),
            "no config field colour",
        ),
        (("connection", "add", "acme", "stripe"), "needs secret api_key"),
        (("connection", "add", "acme", "stripe", "--secret", "sk_live_SECRET"), "KEY=VALUE"),
        (
            ("connection", "add", "acme", "files", "--config", "path=/etc/passwd"),
            "path /etc/passwd is outside the folders files connections may read",
        ),
        (
            (
                *("connection", "add", "acme", "stripe", "--config", "base_url=file:///etc"),
                *("--secret", "api_key=sk_test_x"),
            ),
            "needs a base_url like https://host[:port]",
        ),
        (("tenant", "create", "abc\n"), "invalid tenant slug"),
        (("group", "add", "acme", "sales\n"), "invalid group name"),
        (("tenant", "create"), "Missing argument 'slug'. (see atspark tenant create --help)"),
        (("tenant", "list", "--bogus"), "No such option: --bogus"),
        (("tenant", "nosuch"), "No such command 'nosuch'"),
        (("tenant", "create", "caf\udce9"), "arguments must be valid UTF-8 text"),
    ],
)
def test_user_mistakes_give_one_clear_line_and_change_nothing(settings, args, message):
    assert run("tenant", "create", "acme").returncode == 0
    result = run(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "SECRET" not in result.stderr + result.stdout
    assert json.loads(run("connection", "list", "acme", "--format", "json").stdout) == []
    assert len(json.loads(run("tenant", "list", "--format", "json").stdout)) == 1


def test_connection_list_masks_secrets(settings):
    run("tenant", "create", "acme")
    added = run(
        "connection",
        "add",
        "acme",
        "stripe",
        "--name",
        "billing",
        "--config",
        "base_url=http://127.0.0.1:1",
        "--secret",
        "api_key=sk_test_CANARY",
    )
    assert added.returncode == 0, added.stderr
    listed = run("connection", "list", "acme", "--format", "json")
    assert "sk_test_CANARY" not in listed.stdout + run("connection", "list", "acme").stdout
    [connection] = json.loads(listed.stdout)
    assert connection["name"] == "billing" and connection["connector"] == "stripe"
    assert connection["secrets"] == {"api_key": "********"}
    assert connection["config"] == {"base_url": "http://127.0.0.1:1"}


def test_connection_name_defaults_to_the_connector(settings):
    run("tenant", "create", "acme")
    assert run("connection", "add", "acme", "stripe", "--secret", "api_key=k").returncode == 0
    [connection] = json.loads(run("connection", "list", "acme", "--format", "json").stdout)
    assert connection["name"] == "stripe"


def test_tenant_delete_without_yes_and_no_answer_does_nothing(settings):
    run("tenant", "create", "acme")
    result = run("tenant", "delete", "acme", stdin="")
    assert result.returncode != 0
    assert len(json.loads(run("tenant", "list", "--format", "json").stdout)) == 1


def test_tenant_delete_with_a_yes_answer_deletes(settings):
    run("tenant", "create", "acme")
    assert run("tenant", "delete", "acme", stdin="y\n").returncode == 0
    assert json.loads(run("tenant", "list", "--format", "json").stdout) == []


def test_keys_rotate_reports_the_rewrapped_keys(settings):
    run("tenant", "create", "acme")
    result = run("keys", "rotate", "acme")
    assert (
        result.returncode == 0 and f"re-wrapped {len(TENANT_PURPOSES)} data keys" in result.stdout
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ATSPARK_KMS", "vault:x", "must be 'local' or 'aws:<key id, ARN or alias>'"),
        ("ATSPARK_WAREHOUSE", "bigquery", "must be 'duckdb'"),
        ("ATSPARK_DATA_KEY_CACHE_SECONDS", "-1", "must be a number of at least 1"),
        ("ATSPARK_DATA_KEY_CACHE_USES", "many", "must be a whole number of at least 1"),
        ("ATSPARK_HOME", "/dev/null", "/dev/null is not a directory atspark can use"),
        ("ATSPARK_DATABASE_URL", "bogus", "is not a database URL atspark can use"),
        ("ATSPARK_FILES_ROOTS", "relative/folder", "must list absolute directories"),
    ],
)
def test_a_setting_the_platform_cannot_use_is_a_clear_error(
    settings, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    result = run("tenant", "list")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {variable} {message}")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_ingest_prints_a_summary_without_dlts_routine_schema_notices(settings):
    with running_stripe_sandbox(seed=3, customers=40, rate_limit_every=None) as url:
        assert run("tenant", "create", "acme").returncode == 0
        config, secret = f"base_url={url}", "api_key=sk_test_sandbox"
        added = run("connection", "add", "acme", "stripe", "--config", config, "--secret", secret)
        assert added.returncode == 0
        ingested = run("ingest", "acme")
    assert ingested.returncode == 0, ingested.stderr
    output = ingested.stdout + ingested.stderr
    assert "acme/stripe:" in output and "rows into 11 tables" in output
    assert "did not receive any data" not in output
    assert "WARNING" not in output


def test_db_upgrade_gives_existing_tenants_the_keys_of_new_purposes(settings):
    run("tenant", "create", "acme")
    engine = create_engine(settings.control_plane_url)
    with engine.begin() as connection:  # as a tenant made before the credentials purpose was
        connection.execute(text("DELETE FROM data_keys WHERE purpose = 'credentials'"))
    engine.dispose()
    upgraded = run("db", "upgrade")
    assert "made 1 data keys" in upgraded.stdout
    assert "made" not in run("db", "upgrade").stdout  # once
    added = run("user", "add", "acme", "ana@acme.io", "--role", "admin")
    assert added.returncode == 0
    ctx = ServiceContext(Platform(settings), Operator("test"))
    assert auth.enroll_totp(ctx, "acme", "ana@acme.io").secret

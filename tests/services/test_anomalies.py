"""The anomaly scan over real audit trails: findings raised once, audited, mailed to admins."""

import json
import os
import subprocess
from dataclasses import replace

import pytest

from governance import audit
from governance.errors import AuthenticationFailed, PermissionDenied, TooManyAttempts
from governance.platform import Platform
from governance.settings import Settings
from services import anomalies, auth, connections, identity, tenants
from services.context import Operator, ServiceContext
from services.queries import run_query
from tests.app.test_cli import ATSPARK
from tests.fixtures.platform import acting_as, dispose, tenant_with_deals
from tests.fixtures.web import outbox

THRESHOLDS = "signin_failures_per_account=3,bulk_read_min_rows=3,bulk_read_factor=1"


@pytest.fixture
def operator(settings, monkeypatch):
    """The operator of a platform whose detectors fire on a few events (the CLI agrees)."""
    monkeypatch.setenv("ATSPARK_ANOMALY_THRESHOLDS", THRESHOLDS)
    platform = Platform(Settings.from_environment())
    yield ServiceContext(platform, Operator("test"))
    dispose(platform)


def attack(operator: ServiceContext) -> None:
    """acme: an admin, a burst of wrong passwords for ana, a new connection, a bulk read."""
    tenant_with_deals(operator)
    identity.add_user(operator, "acme", "ana@acme.io", ["admin"], password="a right password")
    for _ in range(4):
        with pytest.raises((AuthenticationFailed, TooManyAttempts)):
            auth.sign_in(replace(operator, ip="203.0.113.7"), "acme", "ana@acme.io", "wrong")
    upload = operator.platform.settings.upload_dir("acme") / "crm.csv"
    upload.write_text("id,name\n1,a\n")
    config = {"path": "crm.csv", "primary_key": "id"}
    connections.add_connection(operator, "acme", "files", config, {}, "crm")
    run_query(acting_as(operator, "ana@acme.io"), "acme", "SELECT * FROM deals")


def found(scanned) -> set[tuple[str, str, str]]:
    return {(s.finding.tenant, s.finding.detector, s.finding.subject) for s in scanned}


def test_a_scan_raises_each_finding_once_audited_and_mailed(operator):
    attack(operator)
    first = anomalies.scan(operator)
    assert {
        ("acme", "signin_failures_account", "ana@acme.io"),
        ("acme", "connection_changes", "crm"),
        ("acme", "bulk_reads", "ana@acme.io"),
    } <= found(first)
    assert all(s.new for s in first)
    again = anomalies.scan(operator)
    assert found(again) == found(first) and not any(s.new for s in again)
    acme = tenants.get_tenant(operator, "acme").id
    with operator.platform.control_plane.session() as session:
        raised = audit.events(session, acme, action="anomaly.detected")
        assert len(raised) == len(first)
        assert {e.outcome for e in raised} == {"flagged"} and audit.verify_chain(
            session, acme
        ) is None
    mails = outbox(operator.platform.settings.home, "ana@acme.io")
    subjects = [m["Subject"] for m in mails]
    assert len([s for s in subjects if "anomaly" in s]) == len(first)


def test_a_scan_of_one_tenant_sees_nothing_of_the_others(operator):
    attack(operator)
    tenants.create_tenant(operator, "globex")
    assert anomalies.scan(operator, "globex") == []
    assert {s.finding.tenant for s in anomalies.scan(operator, "acme")} == {"acme"}


def test_normal_use_raises_nothing(operator):
    tenant_with_deals(operator)
    identity.add_user(operator, "acme", "ana@acme.io", ["admin"], password="a right password")
    auth.sign_in(replace(operator, ip="203.0.113.7"), "acme", "ana@acme.io", "a right password")
    run_query(acting_as(operator, "ana@acme.io"), "acme", "SELECT count(*) FROM deals")
    assert anomalies.scan(operator) == []


def test_only_the_operator_scans(operator):
    tenant_with_deals(operator)
    identity.add_user(operator, "acme", "ana@acme.io", ["admin"])
    with pytest.raises(PermissionDenied):
        anomalies.scan(acting_as(operator, "ana@acme.io"), "acme")


def test_the_cli_prints_the_findings_as_json(operator):
    attack(operator)
    env = {**os.environ}
    done = subprocess.run(
        [ATSPARK, "anomaly", "scan", "acme", "--since", "-1h", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert findings and {"tenant", "detector", "subject", "severity", "window", "evidence"} <= set(
        findings[0]
    )
    assert {f["detector"] for f in findings} >= {"signin_failures_account", "connection_changes"}
    bad = subprocess.run(
        [ATSPARK, "anomaly", "scan", "--since", "yesterday"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("error: --since expects an ISO date")

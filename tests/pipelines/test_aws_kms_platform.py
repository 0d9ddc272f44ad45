"""The production key path end to end: ATSPARK_KMS=aws:<alias> against moto's KMS server."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from governance.errors import AtsparkError
from governance.platform import Platform
from services import connections, tenants
from services.context import Operator, ServiceContext
from services.ingestion import ingest

ATSPARK = str(Path(sys.executable).parent / "atspark")


@pytest.fixture
def aws_platform(settings, aws_env, monkeypatch):
    kms = boto3.client("kms", endpoint_url=aws_env, region_name="us-east-1")
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/atspark-{key['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    monkeypatch.setenv("ATSPARK_KMS", f"aws:{alias}")
    built = Platform(replace(settings, kms=f"aws:{alias}", aws_endpoint_url=aws_env))
    yield ServiceContext(built, Operator("test")), kms, key
    built.control_plane.dispose()


def test_tenant_lifecycle_on_aws_kms(aws_platform, tmp_path):
    operator, kms, key = aws_platform
    (tmp_path / "orders.csv").write_text("id,amount\n1,10\n2,20\n")
    tenants.create_tenant(operator, "acme")
    secrets = {"aws_access_key_id": "k", "aws_secret_access_key": "s"}
    connections.add_connection(operator, "acme", "files", {"path": str(tmp_path)}, secrets, "crm")
    assert ingest(operator, "acme", "crm").rows == {"crm_orders": 2}
    assert not (operator.platform.settings.home / "keyring.json").exists()

    rotated = subprocess.run([ATSPARK, "keys", "rotate", "acme"], capture_output=True, text=True)
    assert rotated.returncode == 0, rotated.stderr

    kms.disable_key(KeyId=key["KeyId"])
    operator.platform.keys.cache.clear()
    with pytest.raises(AtsparkError, match="not Enabled"):
        ingest(operator, "acme", "crm")

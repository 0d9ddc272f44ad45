"""Ingestion end to end with the files connector: naming, idempotence, no plaintext at rest."""

import csv

import pytest

from governance import tenancy
from governance.errors import AtsparkError
from pipelines.ingest import ingest

CANARY = "CANARY-7f3a9c-customer@example.com"
SECRET_CANARY = "AKIACANARY0SECRET0KEY"


def _strings_in(path) -> set[str]:
    content = path.read_bytes()
    return {value for value in (CANARY, SECRET_CANARY) if value.encode() in content}


def write_csv(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def crm_dir(tmp_path):
    folder = tmp_path / "crm"
    folder.mkdir()
    rows = [{"id": i, "email": f"user{i}@example.com", "amount": i * 10} for i in range(50)]
    rows[7]["email"] = CANARY
    write_csv(folder / "orders.csv", rows)
    return folder


def read_rows(platform, slug, sql):
    tenant = tenancy.get_tenant(platform, slug)
    with platform.warehouse(tenant.id, slug).read() as connection:
        return connection.execute(sql).fetchall()


def test_files_land_as_connection_stream_tables_without_duplicates(platform, crm_dir):
    tenancy.create_tenant(platform, "acme")
    tenancy.add_connection(
        platform, "acme", "crm", "files", {"path": str(crm_dir), "primary_key": "id"}, {}
    )
    first = ingest(platform, "acme", "crm")
    assert first.rows == {"crm_orders": 50}
    again = ingest(platform, "acme", "crm")
    assert again.snapshot == first.snapshot + 1
    assert read_rows(
        platform, "acme", "SELECT count(*), count(DISTINCT id) FROM acme.crm_orders"
    ) == [(50, 50)]


def test_nothing_under_home_holds_plaintext_after_a_run(platform, crm_dir):
    tenancy.create_tenant(platform, "acme")
    secrets = {"aws_access_key_id": SECRET_CANARY, "aws_secret_access_key": SECRET_CANARY}
    tenancy.add_connection(platform, "acme", "crm", "files", {"path": str(crm_dir)}, secrets)
    ingest(platform, "acme", "crm")
    assert read_rows(
        platform, "acme", f"SELECT count(*) FROM acme.crm_orders WHERE email = '{CANARY}'"
    ) == [(1,)]
    files = [p for p in platform.settings.home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    leaking = [p for p in files if _strings_in(p)]
    assert leaking == []
    shared = [p for p in files if p.stat().st_mode & 0o077]
    assert shared == [], "files under ATSPARK_HOME must be readable by their owner only"
    assert not any(platform.settings.runs_dir.iterdir())


def test_a_connector_error_is_reported_plainly_and_publishes_nothing(platform, tmp_path):
    tenancy.create_tenant(platform, "acme")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    tenancy.add_connection(
        platform, "acme", "crm", "files", {"path": str(tmp_path / "bad.parquet")}, {}
    )
    before = platform.warehouse(tenancy.get_tenant(platform, "acme").id, "acme").snapshots.current()
    with pytest.raises(AtsparkError):
        ingest(platform, "acme", "crm")
    after = platform.warehouse(tenancy.get_tenant(platform, "acme").id, "acme").snapshots.current()
    assert after == before
    assert not any(platform.settings.runs_dir.iterdir())

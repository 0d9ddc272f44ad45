"""Ingestion end to end with the files connector: naming, idempotence, no plaintext at rest."""

import csv
import shutil
import stat
from dataclasses import replace

import pytest

from governance.errors import AtsparkError
from governance.platform import Platform
from services import audit, connections, tenants
from services.context import Operator, ServiceContext
from services.ingestion import ingest

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


def read_rows(operator, slug, sql):
    tenant = tenants.get_tenant(operator, slug)
    with operator.platform.warehouse(tenant.id, slug).read() as connection:
        return connection.execute(sql).fetchall()


def test_files_land_as_connection_stream_tables_without_duplicates(operator, crm_dir):
    tenants.create_tenant(operator, "acme")
    config = {"path": str(crm_dir), "primary_key": "id"}
    connections.add_connection(operator, "acme", "files", config, {}, "crm")
    first = ingest(operator, "acme", "crm")
    assert first.rows == {"crm_orders": 50}
    again = ingest(operator, "acme", "crm")
    assert again.snapshot == first.snapshot + 1
    assert read_rows(
        operator, "acme", "SELECT count(*), count(DISTINCT id) FROM acme.crm_orders"
    ) == [(50, 50)]


def test_nothing_under_home_holds_plaintext_after_a_run(operator, crm_dir):
    platform = operator.platform
    tenants.create_tenant(operator, "acme")
    secrets = {"aws_access_key_id": SECRET_CANARY, "aws_secret_access_key": SECRET_CANARY}
    connections.add_connection(operator, "acme", "files", {"path": str(crm_dir)}, secrets, "crm")
    ingest(operator, "acme", "crm")
    assert read_rows(
        operator, "acme", f"SELECT count(*) FROM acme.crm_orders WHERE email = '{CANARY}'"
    ) == [(1,)]
    files = [p for p in platform.settings.home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    leaking = [p for p in files if _strings_in(p)]
    assert leaking == []
    shared = [p for p in files if p.stat().st_mode & 0o077]
    assert shared == [], "files under ATSPARK_HOME must be readable by their owner only"
    assert not any(platform.settings.runs_dir.iterdir())


def test_a_connector_error_is_reported_plainly_and_publishes_nothing(operator, tmp_path):
    platform = operator.platform
    tenants.create_tenant(operator, "acme")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    config = {"path": str(tmp_path / "bad.parquet")}
    connections.add_connection(operator, "acme", "files", config, {}, "crm")
    tenant_id = tenants.get_tenant(operator, "acme").id
    before = platform.warehouse(tenant_id, "acme").snapshots.current()
    with pytest.raises(AtsparkError):
        ingest(operator, "acme", "crm")
    after = platform.warehouse(tenant_id, "acme").snapshots.current()
    assert after == before
    assert not any(platform.settings.runs_dir.iterdir())


def schemas_and_tables(operator) -> tuple[list[str], list[str]]:
    rows = read_rows(operator, "acme", "SELECT DISTINCT schema_name FROM acme._dlt_version")
    tables = read_rows(
        operator,
        "acme",
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'acme'"
        " AND NOT starts_with(table_name, '_dlt') ORDER BY 1",
    )
    return sorted(name for (name,) in rows), [name for (name,) in tables]


def test_two_files_connections_keep_their_own_schemas_and_tables(operator, tmp_path):
    """Found in review: both connections' tables landed in one dlt schema called ``files``."""
    tenants.create_tenant(operator, "acme")
    for name in ("ads", "crm"):
        folder = tmp_path / name
        folder.mkdir()
        write_csv(folder / "orders.csv", [{"id": i, "source": name} for i in range(3)])
        config = {"path": str(folder), "primary_key": "id"}
        connections.add_connection(operator, "acme", "files", config, {}, name)
    for _ in range(2):  # each ingested and re-ingested
        assert ingest(operator, "acme", "ads").rows == {"ads_orders": 3}
        assert ingest(operator, "acme", "crm").rows == {"crm_orders": 3}
    assert schemas_and_tables(operator) == (["ads", "crm"], ["ads_orders", "crm_orders"])
    for name in ("ads", "crm"):
        rows = read_rows(
            operator, "acme", f"SELECT DISTINCT source, count(*) FROM acme.{name}_orders GROUP BY 1"
        )
        assert rows == [(name, 3)]


# where local files may be read ------------------------------------------------------------------


@pytest.fixture
def default_roots(settings, monkeypatch) -> ServiceContext:
    """The operator on a platform with the defaults: only each tenant's upload area."""
    monkeypatch.delenv("ATSPARK_FILES_ROOTS")
    platform = Platform(replace(settings, files_roots=()))
    yield ServiceContext(platform, Operator("test"))
    platform.control_plane.dispose()


def test_by_default_a_tenant_reads_its_upload_area_and_nothing_else(default_roots, crm_dir):
    operator = default_roots
    tenants.create_tenant(operator, "acme")
    tenants.create_tenant(operator, "globex")
    uploads = operator.platform.settings.upload_dir("acme")
    assert uploads.is_dir() and stat.S_IMODE(uploads.stat().st_mode) == 0o700
    shutil.copy(crm_dir / "orders.csv", uploads / "orders.csv")
    connections.add_connection(operator, "acme", "files", {"path": "orders.csv"}, {}, "crm")
    assert ingest(operator, "acme", "crm").rows == {"crm_orders": 50}
    for elsewhere in [str(crm_dir), str(uploads / ".." / "globex"), "../globex", "/etc/passwd"]:
        with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
            connections.add_connection(operator, "acme", "files", {"path": elsewhere}, {}, "x")
    assert [c.name for c in connections.list_connections(operator, "acme")] == ["crm"]
    added = [e for e in audit.list_events(operator, "acme") if e.action == "connection.add"]
    assert [event.outcome for event in added] == ["ok"] + ["failed"] * 4


def test_a_root_taken_away_after_the_connection_was_added_refuses_the_next_load(
    operator, default_roots, crm_dir
):
    tenants.create_tenant(operator, "acme")
    connections.add_connection(operator, "acme", "files", {"path": str(crm_dir)}, {}, "crm")
    with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
        ingest(default_roots, "acme", "crm")


def test_configured_roots_may_name_each_tenants_own_folder(settings, tmp_path, crm_dir):
    shared = tmp_path / "shared"
    for slug in ("acme", "globex"):
        (shared / slug).mkdir(parents=True)
        shutil.copy(crm_dir / "orders.csv", shared / slug / "orders.csv")
    platform = Platform(replace(settings, files_roots=f"{shared}/{{tenant}}"))
    operator = ServiceContext(platform, Operator("test"))
    tenants.create_tenant(operator, "acme")
    mine, theirs = {"path": str(shared / "acme")}, {"path": str(shared / "globex")}
    connections.add_connection(operator, "acme", "files", mine, {}, "crm")
    with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
        connections.add_connection(operator, "acme", "files", theirs, {}, "stolen")
    platform.control_plane.dispose()


def test_deleting_a_tenant_removes_its_upload_area(operator):
    tenants.create_tenant(operator, "acme")
    uploads = operator.platform.settings.upload_dir("acme")
    (uploads / "orders.csv").write_text("id\n1\n")
    tenants.delete_tenant(operator, "acme")
    assert not uploads.exists()


def test_atspark_s_own_state_is_off_limits_even_inside_an_allowed_folder(operator, tmp_path):
    home = operator.platform.settings.home
    assert home.is_relative_to(tmp_path) and tmp_path in operator.platform.settings.files_roots
    tenants.create_tenant(operator, "acme")
    tenants.create_tenant(operator, "globex")
    (operator.platform.settings.upload_dir("globex") / "theirs.csv").write_text("id\n1\n")
    for path in [
        str(home / "keyring.json"),
        str(home / "control.db"),
        str(home / "uploads" / "globex" / "theirs.csv"),
        str(home),
    ]:
        with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
            connections.add_connection(
                operator, "acme", "files", {"path": path, "format": "jsonl"}, {}, "x"
            )
    # A glob starting in an allowed folder is accepted; each file it matches is checked.
    matching = {"path": str(tmp_path / "*" / "keyring.json"), "format": "jsonl"}
    connections.add_connection(operator, "acme", "files", matching, {}, "keys")
    with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
        ingest(operator, "acme", "keys")

"""Tenants and connections in the control plane, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from governance import tenancy
from governance.errors import AtsparkError, ConflictError, DecryptionError, NotFoundError
from governance.store.models import Connection, DataKey


def test_create_tenant_makes_keys_and_a_provisioned_warehouse(any_platform):
    tenant = tenancy.create_tenant(any_platform, "acme", "Acme Corp")
    assert [t.slug for t in tenancy.list_tenants(any_platform)] == ["acme"]
    with any_platform.control_plane.session() as session:
        purposes = session.scalars(select(DataKey.purpose).where(DataKey.tenant_id == tenant.id))
        assert sorted(purposes) == ["connection-secrets", "warehouse"]
    with any_platform.warehouse(tenant.id, "acme").read() as connection:
        schemas = connection.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'warehouse'"
        ).fetchall()
    assert ("acme",) in schemas


@pytest.mark.parametrize("slug", ["Acme", "1acme", "ac me", "a__b", "main", "x" * 41, "acme-", ""])
def test_bad_slugs_are_refused_and_change_nothing(platform, slug):
    with pytest.raises(AtsparkError, match="tenant slug"):
        tenancy.create_tenant(platform, slug)
    assert tenancy.list_tenants(platform) == []
    assert not platform.settings.warehouses_dir.exists() or not any(
        platform.settings.warehouses_dir.iterdir()
    )


def test_a_duplicate_tenant_is_a_conflict(any_platform):
    tenancy.create_tenant(any_platform, "acme")
    with pytest.raises(ConflictError):
        tenancy.create_tenant(any_platform, "acme")


def test_connection_secrets_are_stored_encrypted_and_listed_by_name_only(any_platform):
    tenancy.create_tenant(any_platform, "acme")
    info = tenancy.add_connection(
        any_platform, "acme", "stripe", "stripe", {"base_url": "http://x"}, {"api_key": "sk_CANARY"}
    )
    assert info.secret_keys == ["api_key"] and "sk_CANARY" not in repr(info)
    with any_platform.control_plane.session() as session:
        blob = session.scalar(select(Connection.secrets_blob))
    assert b"sk_CANARY" not in blob
    assert tenancy.connection_secrets(any_platform, "acme", "stripe") == {"api_key": "sk_CANARY"}


def test_a_secrets_blob_moved_to_another_connection_does_not_decrypt(platform):
    tenancy.create_tenant(platform, "acme")
    tenancy.add_connection(platform, "acme", "one", "stripe", {}, {"api_key": "a"})
    tenancy.add_connection(platform, "acme", "two", "stripe", {}, {"api_key": "b"})
    with platform.control_plane.session() as session:
        one, two = session.scalars(select(Connection).order_by(Connection.name)).all()
        two.secrets_blob = one.secrets_blob
    with pytest.raises(DecryptionError):
        tenancy.connection_secrets(platform, "acme", "two")


def test_delete_tenant_shreds_keys_warehouse_and_rows(any_platform):
    tenant = tenancy.create_tenant(any_platform, "acme")
    tenancy.add_connection(any_platform, "acme", "stripe", "stripe", {}, {"api_key": "k"})
    with any_platform.control_plane.session() as session:
        blob = session.scalar(select(Connection.secrets_blob))
    tenancy.delete_tenant(any_platform, "acme")
    assert tenancy.list_tenants(any_platform) == []
    assert not any_platform.warehouse_dir(tenant.id).exists()
    with pytest.raises(AtsparkError):
        any_platform.keys.decrypt(tenant.id, "connection-secrets", blob, {"connection": "stripe"})
    with pytest.raises(NotFoundError):
        tenancy.get_tenant(any_platform, "acme")


def test_connections_of_unknown_tenants_and_names_are_not_found(platform):
    with pytest.raises(NotFoundError, match="no tenant 'ghost'"):
        tenancy.add_connection(platform, "ghost", "stripe", "stripe", {}, {})
    tenancy.create_tenant(platform, "acme")
    with pytest.raises(NotFoundError, match="no connection 'nope'"):
        tenancy.get_connection(platform, "acme", "nope")
    with pytest.raises(AtsparkError, match="connection name"):
        tenancy.add_connection(platform, "acme", "Bad-Name", "stripe", {}, {})


@pytest.mark.parametrize("second", ["shop_x", "shop"])
def test_connection_names_whose_tables_could_collide_are_refused(platform, second):
    tenancy.create_tenant(platform, "acme")
    first = "shop" if second == "shop_x" else "shop_x"
    tenancy.add_connection(platform, "acme", first, "files", {}, {})
    with pytest.raises(ConflictError, match="could clash"):
        tenancy.add_connection(platform, "acme", second, "files", {}, {})
    assert [c.name for c in tenancy.list_connections(platform, "acme")] == [first]

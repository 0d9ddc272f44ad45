"""Tenants and connections through their services, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from governance import tenancy
from governance.errors import AtsparkError, ConflictError, DecryptionError, NotFoundError
from governance.store.lookups import find_tenant
from governance.store.models import Connection, DataKey
from services import connections, tenants


def secrets_of(operator, tenant: str, name: str) -> dict:
    with operator.platform.control_plane.session() as session:
        found = find_tenant(session, tenant)
        connection = tenancy.find_connection(session, found, name)
        return tenancy.connection_secrets(operator.platform, found, connection)


def test_create_tenant_makes_keys_and_a_provisioned_warehouse(any_operator):
    tenant = tenants.create_tenant(any_operator, "acme", "Acme Corp")
    assert [t.slug for t in tenants.list_tenants(any_operator)] == ["acme"]
    with any_operator.platform.control_plane.session() as session:
        purposes = session.scalars(select(DataKey.purpose).where(DataKey.tenant_id == tenant.id))
        assert sorted(purposes) == ["backups", "connection-secrets", "credentials", "warehouse"]
    with any_operator.platform.warehouse(tenant.id, "acme").read() as connection:
        schemas = connection.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'warehouse'"
        ).fetchall()
    assert ("acme",) in schemas


@pytest.mark.parametrize("slug", ["Acme", "1acme", "ac me", "a__b", "main", "x" * 41, "acme-", ""])
def test_bad_slugs_are_refused_and_change_nothing(operator, slug):
    with pytest.raises(AtsparkError, match="tenant slug"):
        tenants.create_tenant(operator, slug)
    assert tenants.list_tenants(operator) == []
    warehouses = operator.platform.settings.warehouses_dir
    assert not warehouses.exists() or not any(warehouses.iterdir())


def test_a_duplicate_tenant_is_a_conflict(any_operator):
    tenants.create_tenant(any_operator, "acme")
    with pytest.raises(ConflictError):
        tenants.create_tenant(any_operator, "acme")


def test_connection_secrets_are_stored_encrypted_and_listed_by_name_only(any_operator):
    tenants.create_tenant(any_operator, "acme")
    info = connections.add_connection(
        any_operator, "acme", "stripe", {"base_url": "http://x"}, {"api_key": "sk_CANARY"}
    )
    assert info.secret_keys == ["api_key"] and "sk_CANARY" not in repr(info)
    with any_operator.platform.control_plane.session() as session:
        blob = session.scalar(select(Connection.secrets_blob))
    assert b"sk_CANARY" not in blob
    assert secrets_of(any_operator, "acme", "stripe") == {"api_key": "sk_CANARY"}


def test_a_secrets_blob_moved_to_another_connection_does_not_decrypt(operator):
    tenants.create_tenant(operator, "acme")
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "a"}, name="one")
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "b"}, name="two")
    with operator.platform.control_plane.session() as session:
        one, two = session.scalars(select(Connection).order_by(Connection.name)).all()
        two.secrets_blob = one.secrets_blob
    with pytest.raises(DecryptionError):
        secrets_of(operator, "acme", "two")


def test_delete_tenant_shreds_keys_warehouse_and_rows(any_operator):
    tenant = tenants.create_tenant(any_operator, "acme")
    connections.add_connection(any_operator, "acme", "stripe", {}, {"api_key": "k"})
    with any_operator.platform.control_plane.session() as session:
        blob = session.scalar(select(Connection.secrets_blob))
    tenants.delete_tenant(any_operator, "acme")
    assert tenants.list_tenants(any_operator) == []
    assert not any_operator.platform.warehouse_dir(tenant.id).exists()
    with pytest.raises(AtsparkError):
        any_operator.platform.keys.decrypt(
            tenant.id, "connection-secrets", blob, {"connection": "stripe"}
        )
    with pytest.raises(NotFoundError):
        tenants.get_tenant(any_operator, "acme")


def test_connections_of_unknown_tenants_and_names_are_not_found(operator):
    with pytest.raises(NotFoundError, match="no tenant 'ghost'"):
        connections.add_connection(operator, "ghost", "stripe", {}, {"api_key": "k"})
    tenants.create_tenant(operator, "acme")
    with pytest.raises(NotFoundError, match="no connection 'nope'"):
        connections.get_connection(operator, "acme", "nope")
    with pytest.raises(AtsparkError, match="connection name"):
        connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "k"}, "Bad-Name")


def test_connector_config_is_validated_by_the_service_whoever_calls(operator):
    tenants.create_tenant(operator, "acme")
    with pytest.raises(AtsparkError, match="no config field colour"):
        connections.add_connection(operator, "acme", "stripe", {"colour": "red"}, {"api_key": "k"})
    with pytest.raises(AtsparkError, match="needs secret api_key"):
        connections.add_connection(operator, "acme", "stripe", {}, {})
    with pytest.raises(NotFoundError, match="unknown connector 'nosuch'"):
        connections.add_connection(operator, "acme", "nosuch", {}, {})
    assert connections.list_connections(operator, "acme") == []


@pytest.mark.parametrize("second", ["shop_x", "shop"])
def test_connection_names_whose_tables_could_collide_are_refused(operator, second):
    tenants.create_tenant(operator, "acme")
    first = "shop" if second == "shop_x" else "shop_x"
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "k"}, first)
    with pytest.raises(ConflictError, match="could clash"):
        connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "k"}, second)
    assert [c.name for c in connections.list_connections(operator, "acme")] == [first]

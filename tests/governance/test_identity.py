"""Users, groups, roles and policies through their services, on SQLite and PostgreSQL."""

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from governance.errors import AtsparkError, ConflictError, NotFoundError
from governance.store.db import MIGRATIONS_DIR, ControlPlane, head_revision, make_engine
from services import identity, policies, tenants


@pytest.fixture
def acme(any_operator):
    tenants.create_tenant(any_operator, "acme")
    identity.add_group(any_operator, "acme", "emea")
    return any_operator


def test_a_new_tenant_has_the_four_built_in_roles(acme):
    roles = {r["name"]: r for r in identity.list_roles(acme, "acme")}
    assert set(roles) == {"owner", "admin", "member", "viewer"}
    assert all(r["builtin"] for r in roles.values())
    assert roles["viewer"]["permissions"] == ["data.read"]


def test_users_carry_roles_groups_and_multi_valued_attributes(acme):
    identity.add_role(acme, "acme", "analyst", ["data.read", "data.export"])
    user = identity.add_user(
        acme,
        "acme",
        "Ana@Example.com",
        ["analyst", "viewer"],
        ["emea"],
        {"region": ["emea", "apac"], "team": ["sales"]},
    )
    assert user.email == "ana@example.com"
    assert user.roles == ["analyst", "viewer"] and user.groups == ["emea"]
    assert user.attributes == {"region": ["apac", "emea"], "team": ["sales"]}
    changed = identity.set_user(
        acme,
        "acme",
        "ana@example.com",
        roles=["member"],
        attributes={"region": ["us"]},
        clear_attributes=["team"],
    )
    assert changed.roles == ["member"] and changed.groups == ["emea"]
    assert changed.attributes == {"region": ["us"]}
    identity.remove_user(acme, "acme", "ana@example.com")
    assert identity.list_users(acme, "acme") == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda p: identity.add_user(p, "acme", "not-an-email", ["viewer"]),
            AtsparkError,
            "invalid email",
        ),
        (lambda p: identity.add_user(p, "acme", "a@b.co", []), AtsparkError, "at least one role"),
        (lambda p: identity.add_user(p, "acme", "a@b.co", ["boss"]), NotFoundError, "no role boss"),
        (
            lambda p: identity.add_user(p, "acme", "a@b.co", ["viewer"], ["apac"]),
            NotFoundError,
            "no group apac",
        ),
        (
            lambda p: identity.add_user(p, "acme", "a@b.co", ["viewer"], [], {"bad key": ["x"]}),
            AtsparkError,
            "invalid attribute key",
        ),
        (lambda p: identity.add_role(p, "acme", "admin", []), ConflictError, "already has a role"),
        (
            lambda p: identity.add_role(p, "acme", "ops", ["root"]),
            AtsparkError,
            "unknown permission root",
        ),
        (lambda p: identity.add_group(p, "acme", "emea"), ConflictError, "already has a group"),
        (
            lambda p: identity.set_user(p, "acme", "ghost@b.co", roles=["viewer"]),
            NotFoundError,
            "no user",
        ),
    ],
)
def test_bad_identity_input_is_refused_and_changes_nothing(acme, call, error, message):
    with pytest.raises(error, match=message):
        call(acme)
    assert identity.list_users(acme, "acme") == []
    assert len(identity.list_roles(acme, "acme")) == 4


def test_policies_need_a_grantee_and_a_valid_filter(acme):
    with pytest.raises(AtsparkError, match="at least one --role or --group"):
        policies.add_policy(acme, "acme", "p", "deals", "region = 'emea'")
    with pytest.raises(AtsparkError, match="invalid policy filter"):
        policies.add_policy(acme, "acme", "p", "deals", "region = (SELECT 1", ["viewer"])
    with pytest.raises(AtsparkError, match="invalid policy filter"):
        policies.add_policy(
            acme, "acme", "p", "deals", "read_csv('/etc/passwd') IS NULL", ["viewer"]
        )
    added = policies.add_policy(
        acme,
        "acme",
        "emea_deals",
        "deals",
        "region IN ({{ user.attr.region }})",
        ["viewer"],
        ["emea"],
    )
    assert (added.roles, added.groups) == (["viewer"], ["emea"])
    with pytest.raises(ConflictError):
        policies.add_policy(acme, "acme", "emea_deals", "deals", "true", ["viewer"])
    policies.remove_policy(acme, "acme", "emea_deals")
    assert policies.list_policies(acme, "acme") == []


def test_the_identity_migration_gives_existing_tenants_the_built_in_roles(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO tenants (id, slug, name, created_at)"
                " VALUES ('t1', 'old', 'Old', '2026-01-01')"
            )
        )
    with pytest.raises(AtsparkError, match="run `atspark db upgrade`"):
        ControlPlane(url)
    assert ControlPlane.upgrade(url) == ("0001", head_revision())
    control_plane = ControlPlane(url)
    with control_plane.engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM roles WHERE tenant_id = 't1'")).scalars()
        assert sorted(names) == ["admin", "member", "owner", "viewer"]


def test_the_head_revision_the_code_expects_is_alembics_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == head_revision()

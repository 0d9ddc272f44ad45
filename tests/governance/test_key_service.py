"""KeyService on both control planes: isolation, caching, rotation and crypto-shredding."""

import uuid

import boto3
import pytest
from sqlalchemy import select

from governance.crypto.aws_kms import AwsKms
from governance.crypto.data_key_cache import DataKeyCache
from governance.crypto.key_service import KeyService
from governance.crypto.local_keyring import LocalKeyring
from governance.crypto.purposes import PURPOSE_SECRETS, PURPOSE_WAREHOUSE, TENANT_PURPOSES
from governance.errors import DecryptionError
from governance.store.db import ControlPlane
from governance.store.models import Connection, DataKey, Tenant

SECRET = b'{"api_key": "sk_live_abc"}'


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def control_plane(control_plane_url):
    plane = ControlPlane(control_plane_url)
    yield plane
    plane.dispose()


@pytest.fixture
def keyring(tmp_path):
    return LocalKeyring(tmp_path / "home" / "keyring.json")


@pytest.fixture
def service(control_plane, keyring):
    return KeyService(control_plane, keyring, DataKeyCache(300, 1_000_000))


def new_tenant(service: KeyService, slug: str | None = None) -> str:
    """A tenant with its keys, seen as a later process sees it: nothing cached yet."""
    slug = slug or f"t-{uuid.uuid4().hex[:8]}"
    with service.control_plane.session() as session:
        tenant = Tenant(slug=slug, name=slug.title())
        session.add(tenant)
        session.flush()
        service.create_tenant_keys(session, tenant.id)
    service.cache.evict(tenant.id)
    return tenant.id


def rotate(service: KeyService, tenant: str) -> int:
    with service.control_plane.session() as session:
        return service.rotate(session, tenant)


def data_keys(control_plane: ControlPlane, tenant_id: str) -> dict[str, DataKey]:
    with control_plane.session() as session:
        rows = session.scalars(select(DataKey).where(DataKey.tenant_id == tenant_id)).all()
    return {row.purpose: row for row in rows}


def test_create_tenant_keys_stores_one_wrapped_key_per_purpose(service, keyring):
    tenant = new_tenant(service)
    rows = data_keys(service.control_plane, tenant)
    assert sorted(rows) == sorted(TENANT_PURPOSES)
    for purpose, row in rows.items():
        plaintext = service.data_key(tenant, purpose)
        assert len(plaintext) == 32
        assert plaintext not in row.wrapped_key
        assert row.master_key_id == keyring.current_master_key_id
    assert service.data_key(tenant, PURPOSE_SECRETS) != service.data_key(tenant, PURPOSE_WAREHOUSE)


def test_create_tenant_keys_is_part_of_the_callers_transaction(service):
    with pytest.raises(RuntimeError), service.control_plane.session() as session:
        tenant = Tenant(slug="rolled-back", name="Rolled back")
        session.add(tenant)
        session.flush()
        service.create_tenant_keys(session, tenant.id)
        raise RuntimeError("abort")
    assert data_keys(service.control_plane, tenant.id) == {}


def test_blobs_open_only_for_their_tenant_purpose_and_context(service):
    tenant_a, tenant_b = new_tenant(service, "acme"), new_tenant(service, "globex")
    blob = service.encrypt(tenant_a, PURPOSE_SECRETS, SECRET, {"connection": "stripe"})
    assert service.decrypt(tenant_a, PURPOSE_SECRETS, blob, {"connection": "stripe"}) == SECRET

    foreign = [
        (tenant_b, PURPOSE_SECRETS, {"connection": "stripe"}),
        (tenant_a, PURPOSE_WAREHOUSE, {"connection": "stripe"}),
        (tenant_a, PURPOSE_SECRETS, {"connection": "hubspot"}),
        (tenant_a, PURPOSE_SECRETS, None),
    ]
    for tenant, purpose, context in foreign:
        with pytest.raises(DecryptionError):
            service.decrypt(tenant, purpose, blob, context)


def test_tenant_and_purpose_cannot_be_overridden_by_the_context(service):
    tenant = new_tenant(service)
    with pytest.raises(ValueError, match="bound by KeyService"):
        service.encrypt(tenant, PURPOSE_SECRETS, SECRET, {"tenant": "someone-else"})


def test_blob_round_trips_through_the_control_plane(service):
    tenant = new_tenant(service)
    with service.control_plane.session() as session:
        blob = service.encrypt(tenant, PURPOSE_SECRETS, SECRET, {"connection": "stripe"})
        session.add(
            Connection(tenant_id=tenant, name="stripe", connector="stripe", secrets_blob=blob)
        )
    with service.control_plane.session() as session:
        stored = session.scalars(select(Connection.secrets_blob)).one()
    assert service.decrypt(tenant, PURPOSE_SECRETS, stored, {"connection": "stripe"}) == SECRET


def test_cache_makes_key_manager_calls_constant(service, keyring):
    tenant = new_tenant(service)
    before = keyring.calls
    keys = {service.data_key(tenant, PURPOSE_SECRETS) for _ in range(10_000)}
    assert len(keys) == 1
    assert keyring.calls - before == 1


def test_cache_entry_expires_after_its_lifetime(control_plane, keyring):
    clock = FakeClock()
    service = KeyService(control_plane, keyring, DataKeyCache(60, 1_000_000, clock=clock))
    tenant = new_tenant(service)
    before = keyring.calls
    first = service.data_key(tenant, PURPOSE_SECRETS)
    clock.now += 59
    service.data_key(tenant, PURPOSE_SECRETS)
    assert keyring.calls - before == 1
    clock.now += 2
    assert service.data_key(tenant, PURPOSE_SECRETS) == first
    assert keyring.calls - before == 2


def test_cache_entry_expires_after_its_uses(control_plane, keyring):
    service = KeyService(control_plane, keyring, DataKeyCache(300, 3))
    tenant = new_tenant(service)
    before = keyring.calls
    for _ in range(3):
        service.data_key(tenant, PURPOSE_SECRETS)
    assert keyring.calls - before == 1
    service.data_key(tenant, PURPOSE_SECRETS)
    assert keyring.calls - before == 2
    for _ in range(3):
        service.data_key(tenant, PURPOSE_SECRETS)
    assert keyring.calls - before == 3


def test_evict_drops_only_that_tenant(service, keyring):
    tenant_a, tenant_b = new_tenant(service), new_tenant(service)
    service.data_key(tenant_a, PURPOSE_SECRETS)
    service.data_key(tenant_b, PURPOSE_SECRETS)
    before = keyring.calls
    service.cache.evict(tenant_a)
    service.data_key(tenant_b, PURPOSE_SECRETS)
    assert keyring.calls == before
    service.data_key(tenant_a, PURPOSE_SECRETS)
    assert keyring.calls == before + 1
    service.cache.clear()
    service.data_key(tenant_b, PURPOSE_SECRETS)
    assert keyring.calls == before + 2


def test_a_load_overlapping_evict_or_clear_is_not_cached():
    cache = DataKeyCache(300, 1_000_000)
    loads = []

    def load_then(interrupt):
        def load() -> bytes:
            loads.append(1)
            interrupt()
            return b"k" * 32

        return load

    cache.get("t1", PURPOSE_SECRETS, load_then(lambda: cache.evict("t1")))
    cache.get("t1", PURPOSE_SECRETS, load_then(cache.clear))
    cache.get("t1", PURPOSE_SECRETS, load_then(lambda: None))
    cache.get("t1", PURPOSE_SECRETS, load_then(lambda: None))
    assert len(loads) == 3


def test_warehouse_key_is_a_derived_hex_key_per_tenant(service):
    tenant_a, tenant_b = new_tenant(service), new_tenant(service)
    key_a = service.warehouse_key(tenant_a)
    assert len(key_a) == 64 and bytes.fromhex(key_a)
    assert service.warehouse_key(tenant_a) == key_a
    assert key_a != service.warehouse_key(tenant_b)
    assert key_a != service.data_key(tenant_a, PURPOSE_WAREHOUSE).hex()


def test_rotate_rewraps_under_the_new_master_key_and_old_blobs_still_open(service, keyring):
    tenant = new_tenant(service)
    blob = service.encrypt(tenant, PURPOSE_SECRETS, SECRET)
    warehouse_key = service.warehouse_key(tenant)
    old_id = keyring.current_master_key_id
    old_rows = data_keys(service.control_plane, tenant)

    new_id = keyring.add_master_key()
    assert rotate(service, tenant) == len(TENANT_PURPOSES)

    rows = data_keys(service.control_plane, tenant)
    for purpose, row in rows.items():
        assert row.master_key_id == new_id != old_id
        assert row.wrapped_key != old_rows[purpose].wrapped_key
        assert row.rotated_at is not None
    calls = keyring.calls
    assert service.decrypt(tenant, PURPOSE_SECRETS, blob) == SECRET
    assert keyring.calls == calls + 1  # the cache was evicted: the key was unwrapped afresh
    assert service.warehouse_key(tenant) == warehouse_key


def test_rotate_on_aws_kms_moves_to_the_new_key(control_plane, aws_env):
    kms = boto3.client("kms", endpoint_url=aws_env, region_name="us-east-1")
    old_key, new_key = (kms.create_key()["KeyMetadata"] for _ in range(2))
    service = KeyService(
        control_plane, AwsKms(old_key["Arn"], endpoint_url=aws_env), DataKeyCache(300, 100)
    )
    tenant = new_tenant(service)
    blob = service.encrypt(tenant, PURPOSE_SECRETS, SECRET, {"connection": "stripe"})

    service.key_manager = AwsKms(new_key["Arn"], endpoint_url=aws_env)
    assert rotate(service, tenant) == len(TENANT_PURPOSES)
    assert {row.master_key_id for row in data_keys(control_plane, tenant).values()} == {
        new_key["Arn"]
    }
    kms.disable_key(KeyId=old_key["KeyId"])
    assert service.decrypt(tenant, PURPOSE_SECRETS, blob, {"connection": "stripe"}) == SECRET


def test_shred_makes_the_tenant_fail_closed(service):
    tenant, bystander = new_tenant(service), new_tenant(service)
    blob = service.encrypt(tenant, PURPOSE_SECRETS, SECRET)
    other_blob = service.encrypt(bystander, PURPOSE_SECRETS, SECRET)
    service.data_key(tenant, PURPOSE_WAREHOUSE)  # cached before the shred

    with service.control_plane.session() as session:
        assert service.shred(session, tenant) == len(TENANT_PURPOSES)

    with pytest.raises(DecryptionError, match="gone"):
        service.decrypt(tenant, PURPOSE_SECRETS, blob)
    with pytest.raises(DecryptionError, match="gone"):
        service.data_key(tenant, PURPOSE_WAREHOUSE)
    with pytest.raises(DecryptionError):
        service.warehouse_key(tenant)
    assert data_keys(service.control_plane, tenant) == {}
    assert service.decrypt(bystander, PURPOSE_SECRETS, other_blob) == SECRET


def test_a_rolled_back_shred_keeps_the_keys(service):
    tenant = new_tenant(service)
    blob = service.encrypt(tenant, PURPOSE_SECRETS, SECRET)
    with pytest.raises(RuntimeError), service.control_plane.session() as session:
        service.shred(session, tenant)
        raise RuntimeError("abort")
    assert service.decrypt(tenant, PURPOSE_SECRETS, blob) == SECRET


def test_unknown_tenant_fails_closed(service):
    with pytest.raises(DecryptionError, match="gone"):
        service.data_key("no-such-tenant", PURPOSE_SECRETS)


def test_new_keys_are_usable_within_the_transaction_that_creates_them(service):
    with service.control_plane.session() as session:
        tenant = Tenant(slug="fresh", name="Fresh")
        session.add(tenant)
        session.flush()
        service.create_tenant_keys(session, tenant.id)
        assert len(service.warehouse_key(tenant.id)) == 64  # the rows are not committed yet


def test_keys_created_in_a_transaction_that_rolls_back_are_forgotten(service):
    with pytest.raises(RuntimeError), service.control_plane.session() as session:
        tenant = Tenant(slug="gone", name="Gone")
        session.add(tenant)
        session.flush()
        service.create_tenant_keys(session, tenant.id)
        raise RuntimeError("provisioning failed")
    with pytest.raises(DecryptionError):
        service.data_key(tenant.id, PURPOSE_SECRETS)
